import { parseArgs } from 'node:util';

export interface SoakArgs {
  durationS: number;
  rate: number;
  seed: number;
  out: string;
  meanFaultIntervalMs: number | undefined;
  ndjson: string | undefined;
  scenario: Scenario;
  help: boolean;
}

/** `main`: the chaos soak; `coordination`: two workers through PostgreSQL outages; `all`: both, one report. */
export type Scenario = 'all' | 'main' | 'coordination';
const SCENARIOS: readonly Scenario[] = ['all', 'main', 'coordination'];

export const USAGE = `Usage: node --import tsx soak/run.ts [options]   (npm run soak -- [options])

  --duration-s N        how long to publish and inject faults (default 300)
  --rate N              events published per second (default 500)
  --seed N              seed of every random choice (default: random, printed)
  --out DIR             where latest.{md,svg,json} go (default soak/results)
  --fault-interval-ms N mean time between faults (default 4000)
  --ndjson FILE         also write every delivered event to FILE
  --scenario NAME       all (default: both, one report), main (chaos soak) or coordination (2 workers, PostgreSQL
                        stopped and started; prints its checks)
  -h, --help            this text

Exits 0 only if no loss is unexplained and nothing was delivered twice.`;

/** Parses the CLI; throws a readable Error on a bad value. */
export function parseSoakArgs(argv: readonly string[], randomSeed: () => number): SoakArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'duration-s': { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'fault-interval-ms': { type: 'string' },
      ndjson: { type: 'string' },
      scenario: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const interval = values['fault-interval-ms'];
  const scenario = (values.scenario ?? 'all') as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')}`);
  return {
    durationS: positive('--duration-s', values['duration-s'] ?? '300'),
    rate: positive('--rate', values.rate ?? '500'),
    seed: values.seed === undefined ? randomSeed() : integer('--seed', values.seed),
    out: values.out ?? 'soak/results',
    meanFaultIntervalMs: interval === undefined ? undefined : positive('--fault-interval-ms', interval),
    ndjson: values.ndjson,
    scenario,
    help: values.help ?? false,
  };
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

function integer(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return value;
}
