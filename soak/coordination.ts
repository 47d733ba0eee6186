import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.ts';
import { spawnCli, type CliProcess } from '../test/integration/cli/helpers.ts';
import { findPgBin, startPgServer, type PgServer } from '../test/helpers/pg-server.ts';
import type { Check } from './checks.ts';

/** The coordination scenario: two `run` workers sharing shards through a real PostgreSQL that is stopped now and then. */
export interface CoordinationOptions {
  durationMs: number;
  /** Time between the end of one PostgreSQL outage and the start of the next. */
  outageEveryMs: number;
  /** How long PostgreSQL stays stopped (longer than the lease TTL, so a worker that dropped its leases would show). */
  outageMs: number;
  leaseTtlMs: number;
  tokenTtlS: number;
  /** One event per topic every this often. */
  publishEveryMs: number;
  log: (line: string) => void;
}

export interface CoordinationGap {
  worker: string;
  startAt: number;
  endAt: number;
  reason: string;
}

export interface CoordinationResult {
  skipped: string | undefined;
  workers: number;
  topics: number;
  shards: number;
  outages: { from: number; to: number }[];
  published: number;
  delivered: number;
  lost: number;
  /** Lost events published inside a gap a worker recorded (Genesys does not replay). */
  lostInGaps: number;
  gaps: CoordinationGap[];
  /** Gaps that began during an outage or within a lease TTL after it. */
  gapsFromOutages: number;
  degradedTransitions: number;
  recoveredTransitions: number;
  /** `shard.lost` lines: when, why; `duringOutage` if within an outage or a lease TTL after it. */
  shardsLost: { worker: string; at: number; reason: string; duringOutage: boolean }[];
  drained: boolean;
  checks: Check[];
}

const WORKERS = ['w0', 'w1'];
const TOPICS = Array.from(
  { length: 8 },
  (_, i) => `v2.users.00000000-0000-4000-8000-${String(i).padStart(12, '0')}.presence`,
);

export function coordinationDefaults(log: (line: string) => void): CoordinationOptions {
  return {
    durationMs: 60_000,
    outageEveryMs: 15_000,
    outageMs: 6_000,
    leaseTtlMs: 2_000,
    tokenTtlS: 6,
    publishEveryMs: 20,
    log,
  };
}

/**
 * Two workers (`genesys-relay run --coordination-url`, each with its own state dir and ndjson sink) share 4 shards of
 * 8 topics through PostgreSQL; the server is halted (pg_ctl stop -m immediate) for 3 lease TTLs and started again on
 * the same port and data dir, repeatedly, while events are published. Expected: no gap caused by an outage, nothing
 * lost outside a recorded gap, degraded/recovered transitions and no shard lost.
 */
export async function runCoordinationSoak(options: CoordinationOptions): Promise<CoordinationResult> {
  if (findPgBin() === undefined) return skipped('no PostgreSQL server (initdb, pg_ctl) installed');
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-soak-coord-'));
  const pg = await startPgServer();
  const emulator = await startEmulator({ heartbeatMs: 1_000, tokenTtlS: options.tokenTtlS });
  const workers: CliProcess[] = [];
  try {
    const config = writeConfig(dir, emulator, options.leaseTtlMs);
    for (const id of WORKERS) workers.push(spawnWorker(dir, config, pg.url, id));
    await Promise.all(workers.map((w) => w.waitForStderr(/"msg":"metrics listening"/, 60_000)));
    await until(() => emulatorReadsEveryTopic(emulator), 30_000);
    return await exercise(options, dir, pg, emulator, workers);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await emulator.close();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function exercise(
  options: CoordinationOptions,
  dir: string,
  pg: PgServer,
  emulator: EmulatorHandle,
  workers: CliProcess[],
): Promise<CoordinationResult> {
  const published = new Map<string, number[]>(TOPICS.map((t) => [t, []]));
  const timer = setInterval(() => {
    for (const topic of TOPICS) {
      emulator.publish(topic, { at: Date.now() }, 1);
      published.get(topic)?.push(Date.now());
    }
  }, options.publishEveryMs);
  const outages: { from: number; to: number }[] = [];
  const endAt = Date.now() + options.durationMs;
  try {
    while (Date.now() + options.outageEveryMs + options.outageMs <= endAt) {
      await sleep(options.outageEveryMs);
      const from = Date.now();
      await pg.halt();
      await sleep(options.outageMs);
      await pg.start();
      outages.push({ from, to: Date.now() });
      options.log(`coordination: PostgreSQL stopped for ${Date.now() - from} ms`);
    }
    await sleep(Math.max(0, endAt - Date.now()));
  } finally {
    clearInterval(timer);
  }
  const total = [...published.values()].reduce((n, l) => n + l.length, 0);
  const drained = await until(() => deliveredKeys(dir).size >= total, 20_000);
  return analyse(options, published, deliveredKeys(dir), outages, workers, drained);
}

function analyse(
  options: CoordinationOptions,
  published: ReadonlyMap<string, number[]>,
  delivered: ReadonlySet<string>,
  outages: { from: number; to: number }[],
  workers: CliProcess[],
  drained: boolean,
): CoordinationResult {
  const lines = workers.flatMap((w, i) => w.stderr.map((line) => ({ worker: WORKERS[i] ?? '?', line })));
  const events = (name: string) => lines.filter((l) => l.line.includes(`"event":"${name}"`));
  const gaps = events('gap').map(({ worker, line }) => {
    const g = JSON.parse(line) as { startAt: number; endAt: number; reason: string };
    return { worker, startAt: g.startAt, endAt: g.endAt, reason: g.reason };
  });
  let total = 0;
  let lost = 0;
  let lostInGaps = 0;
  for (const [topic, times] of published) {
    times.forEach((at, i) => {
      total++;
      if (delivered.has(`${topic.toLowerCase()}#${i + 1}`)) return;
      lost++;
      // The gap line names its shard, not its topics: any worker's gap at that instant counts (a loose bound).
      if (gaps.some((g) => at >= g.startAt - 250 && at <= g.endAt)) lostInGaps++;
    });
  }
  const afterOutage = (at: number): boolean => outages.some((o) => at >= o.from && at <= o.to + options.leaseTtlMs);
  const gapsFromOutages = gaps.filter((g) => afterOutage(g.startAt)).length;
  const result = {
    skipped: undefined,
    workers: WORKERS.length,
    topics: TOPICS.length,
    shards: TOPICS.length / 2,
    outages,
    published: total,
    delivered: total - lost,
    lost,
    lostInGaps,
    gaps,
    gapsFromOutages,
    degradedTransitions: events('coordination.degraded').length,
    recoveredTransitions: events('coordination.recovered').length,
    shardsLost: events('shard.lost').map(({ worker, line }) => {
      const l = JSON.parse(line) as { time: number; reason: string };
      return { worker, at: l.time, reason: l.reason, duringOutage: afterOutage(l.time) };
    }),
    drained,
  };
  return { ...result, checks: coordinationChecks(result) };
}

function coordinationChecks(r: Omit<CoordinationResult, 'checks'>): Check[] {
  const unexplained = r.lost - r.lostInGaps;
  const lostInOutage = r.shardsLost.filter((l) => l.duringOutage).length;
  return [
    {
      name: 'coordination outage: no gap, no shard lost',
      ok: r.outages.length > 0 && r.gapsFromOutages === 0 && lostInOutage === 0,
      detail:
        `${r.outages.length} PostgreSQL outages; ${r.gapsFromOutages} gaps began in one (or a lease TTL after), ` +
        `${lostInOutage} shards lost then` +
        (r.shardsLost.length > lostInOutage
          ? ` (${r.shardsLost.length - lostInOutage} lost outside an outage: ${r.shardsLost.map((l) => l.reason).join(', ')})`
          : ''),
    },
    {
      name: 'coordination outage: 0 unexplained loss',
      ok: unexplained === 0 && r.drained,
      detail: `${r.lost} of ${r.published} lost, ${unexplained} outside any recorded gap; drained: ${r.drained}`,
    },
    {
      name: 'coordination outage: degraded, then recovered',
      ok: r.degradedTransitions >= r.outages.length && r.recoveredTransitions === r.degradedTransitions,
      detail: `${r.degradedTransitions} degraded / ${r.recoveredTransitions} recovered warn lines (2 workers)`,
    },
  ];
}

function skipped(reason: string): CoordinationResult {
  const r = {
    skipped: reason,
    workers: 0,
    topics: 0,
    shards: 0,
    outages: [],
    published: 0,
    delivered: 0,
    lost: 0,
    lostInGaps: 0,
    gaps: [],
    gapsFromOutages: 0,
    degradedTransitions: 0,
    recoveredTransitions: 0,
    shardsLost: [],
    drained: true,
  };
  return { ...r, checks: [{ name: 'coordination outage', ok: false, detail: `not run: ${reason}` }] };
}

function writeConfig(dir: string, emulator: EmulatorHandle, leaseTtlMs: number): string {
  const path = join(dir, 'relay.json');
  const file = {
    genesys: { clientId: 'demo', clientSecret: 'demo', apiBase: emulator.apiBase, loginBase: emulator.loginBase },
    topics: TOPICS,
    session: { heartbeatMs: 1_000, maxTopicsPerChannel: 2 },
    coordination: { leaseTtlMs, renewEveryMs: Math.round(leaseTtlMs / 4) },
    outbox: { pollIntervalMs: 200 },
  };
  writeFileSync(path, JSON.stringify(file));
  return path;
}

function spawnWorker(dir: string, config: string, pgUrl: string, id: string): CliProcess {
  const args = ['run', '--config', config, '--coordination-url', pgUrl, '--worker-id', id];
  const out = ['--state-dir', join(dir, id), '--sink', `ndjson:${join(dir, `${id}.ndjson`)}`, '--metrics-port', '0'];
  return spawnCli([...args, ...out], { GENESYS_CLIENT_ID: undefined, GENESYS_CLIENT_SECRET: undefined });
}

/** `topic#sequence` of every event either worker's ndjson file holds. */
function deliveredKeys(dir: string): Set<string> {
  const seen = new Set<string>();
  for (const id of WORKERS) {
    let text = '';
    try {
      text = readFileSync(join(dir, `${id}.ndjson`), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const e = JSON.parse(line) as { topicName?: string; metadata?: { emulatorSequence?: number } };
        if (e.metadata?.emulatorSequence !== undefined)
          seen.add(`${String(e.topicName).toLowerCase()}#${String(e.metadata.emulatorSequence)}`);
      } catch {
        // a line being written
      }
    }
  }
  return seen;
}

function emulatorReadsEveryTopic(emulator: EmulatorHandle): boolean {
  const channels = emulator.state().channels.filter((c) => c.connected);
  return TOPICS.every((t) => channels.some((c) => c.topics.some((x) => x.toLowerCase() === t.toLowerCase())));
}

async function until(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (probe()) return true;
    await sleep(100);
  }
  return probe();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
