/**
 * `npm run soak`: a bounded chaos soak of the relay against the in-process emulator. Prints a summary, writes
 * latest.{md,svg,json} into --out, and exits 0 only if no loss is unexplained and nothing was delivered twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSoakArgs, USAGE, type SoakArgs } from './args.ts';
import { runSoak } from './harness.ts';
import { soakDefaults, type SoakOptions } from './options.ts';
import type { SoakResult } from './result.ts';
import { writeReport } from './write-report.ts';
import { coordinationDefaults, runCoordinationSoak, type CoordinationResult } from './coordination.ts';

async function main(): Promise<number> {
  let args: SoakArgs;
  try {
    args = parseSoakArgs(process.argv.slice(2), () => Math.floor(Math.random() * 2 ** 31));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.scenario === 'coordination') {
    const coordination = await runCoordination(args);
    return coordination.checks.every((c) => c.ok) ? 0 : 1;
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'genesys-relay-soak-'));
  try {
    const options = toOptions(args, stateDir);
    console.log(`soak: seed ${options.seed}, ${args.durationS} s at ${options.ratePerSecond} events/s`);
    const result = await runSoak(options);
    if (args.scenario === 'all') {
      const coordination = await runCoordination(args);
      result.coordination = coordination;
      result.checks.push(...coordination.checks);
      result.passed = result.checks.every((c) => c.ok);
    }
    const written = writeReport(result, args.out);
    printSummary(result);
    console.log(`report: ${written.markdown}, ${written.svg}, ${written.json}`);
    const critical = result.checks.filter((c) => /^(unexplained|duplicates|coordination outage: 0)/.test(c.name));
    return critical.every((c) => c.ok) ? 0 : 1;
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The coordination scenario: a fifth of the main run's duration (at least 60 s), an outage every 15 s. */
async function runCoordination(args: SoakArgs): Promise<CoordinationResult> {
  const started = Date.now();
  const log = (line: string): void =>
    console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  const options = { ...coordinationDefaults(log), durationMs: Math.max(60_000, args.durationS * 200) };
  console.log(
    `coordination: 2 workers, ${options.durationMs / 1000} s, PostgreSQL stopped for ${options.outageMs} ms every ${options.outageEveryMs} ms`,
  );
  const result = await runCoordinationSoak(options);
  for (const c of result.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  return result;
}

function toOptions(args: SoakArgs, stateDir: string): SoakOptions {
  const started = Date.now();
  return {
    ...soakDefaults(stateDir),
    durationMs: args.durationS * 1000,
    ratePerSecond: args.rate,
    seed: args.seed,
    ...(args.meanFaultIntervalMs === undefined ? {} : { meanFaultIntervalMs: args.meanFaultIntervalMs }),
    ndjsonPath: args.ndjson,
    log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`),
  };
}

function printSummary(r: SoakResult): void {
  const { loss } = r;
  console.log(`
seed ${r.parameters.seed}: ${r.passed ? 'PASSED' : 'FAILED'}
published ${loss.published}, handed on ${loss.received}, delivered ${loss.delivered}
lost ${loss.lost}: explained ${loss.explained}, unexplained ${loss.unexplained}; delivered twice ${loss.duplicatesDelivered}
faults ${r.faults.length}, gaps ${r.gaps.length} (p50 ${r.gapDurations.p50 ?? '-'} ms, max ${r.gapDurations.max ?? '-'} ms)
RSS ${r.memory.startMb.toFixed(0)} → max ${r.memory.maxMb.toFixed(0)} → ${r.memory.endMb.toFixed(0)} MB
${r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`).join('\n')}`);
}

process.exitCode = await main();
