/**
 * The relay end to end (issue 4): emulator → NotificationClient → SqliteOutbox (WAL, synchronous=FULL, group
 * commit, a file in tmpdir) → Dispatcher → a no-op sink, against the same client handing straight to the sink.
 * - Throughput: EVENTS published in one burst, ROUNDS times each way, alternating; events/s from the first publish
 *   to the last delivery. The emulator runs in a child process, so the relay has a core of its own (2 cores).
 *   Two hand-offs (see Mode): the relay's own (src/service/pipeline.ts: onEvent resolves at the outbox commit, with
 *   OUTBOX_APPENDS_IN_FLIGHT appends in flight so one group commit covers many events), and straight to the sink.
 *   The direct figure is close to the emulator's own publishing rate (bench/emulator.ts), so it bounds the ratio
 *   from below.
 * - Memory: the relay pipeline in this process, the emulator publishing MEMORY_RATE events/s with a socket-closing
 *   rollover, a drop or an expire-channel every FAULT_EVERY_MS; memoryUsage() every second, heapUsed after a full
 *   GC every 10 s; slopes by least squares over the second half (after warm-up). Needs --expose-gc: without it
 *   this part runs in a child `node --expose-gc --import tsx bench/relay.ts --memory-only`.
 * Run alone: node --import tsx bench/relay.ts [--memory-s 120] [--skip-throughput]
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RefreshingTokenProvider } from '../src/auth/refreshing-token-provider.ts';
import { NotificationClient } from '../src/client/index.ts';
import { startEmulator, type EmulatorOptions, type FaultKind } from '../src/emulator/index.ts';
import type { RelayEvent } from '../src/envelope/envelope.ts';
import { GenesysRestClient } from '../src/genesys/rest-client.ts';
import { Dispatcher } from '../src/outbox/dispatcher.ts';
import { SqliteOutbox } from '../src/outbox/sqlite-outbox.ts';
import { OUTBOX_APPENDS_IN_FLIGHT } from '../src/service/pipeline.ts';
import type { BatchOutcome, Sink } from '../src/sinks/sink.ts';
import { BENCH_BODY, BENCH_TOPIC, median, pollUntil, round1, stopChild } from './lib/figures.ts';

type Figures = Record<string, number | string>;

const EVENTS = 100_000;
const ROUNDS = 3;
const BATCH = 2_000;
const BURST_TIMEOUT_MS = 60_000;
const MEMORY_RATE = 2_000;
const FAULT_EVERY_MS = 10_000;
const GC_EVERY_S = 10;
const DEFAULT_MEMORY_S = 120;
const TOPIC = BENCH_TOPIC;
const BODY = BENCH_BODY;
// socket-closing: a warned make-before-break rollover; drop: TCP gone, reconnect; expire-channel: a new channel.
const FAULTS: readonly FaultKind[] = ['socket-closing', 'drop', 'expire-channel'];

// ---------------------------------------------------------------- the emulator, in a child process

type Command = { kind: 'burst'; count: number } | { kind: 'steady'; rate: number; faultEveryMs: number };
type Reply =
  | { kind: 'ready'; apiBase: string; loginBase: string }
  | { kind: 'published'; count: number }
  | { kind: 'faulted'; fault: FaultKind }
  | { kind: 'memory'; t: number; rssMb: number; heapMb: number };

interface EmulatorProcess {
  apiBase: string;
  loginBase: string;
  send(command: Command): void;
  on(listener: (reply: Reply) => void): () => void;
  close(): Promise<void>;
}

/** Forks this file as the emulator (its own process: its own core, and its memory outside this process's RSS). */
async function forkEmulator(options: EmulatorOptions): Promise<EmulatorProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--emulator', JSON.stringify(options)], {
    // --expose-gc: the emulator reports its own heap after GC too (the soak ran it in the relay's process).
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Reply>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Reply));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`emulator exited (${code})`)));
  });
  if (ready.kind !== 'ready') throw new Error(`unexpected emulator reply ${ready.kind}`);
  return {
    apiBase: ready.apiBase,
    loginBase: ready.loginBase,
    send: (command) => child.send(command),
    on: (listener) => {
      const wrapped = (m: unknown): void => listener(m as Reply);
      child.on('message', wrapped);
      return () => child.off('message', wrapped);
    },
    close: () => stopChild(child),
  };
}

/** Child side: start the emulator, say 'ready', then obey commands until SIGTERM. */
async function emulatorMain(options: EmulatorOptions): Promise<void> {
  const emu = await startEmulator(options);
  const reply = (r: Reply): void => void process.send?.(r);
  const timers: NodeJS.Timeout[] = [];
  process.on('message', (command: Command) => {
    if (command.kind === 'burst') burst(command.count, () => reply({ kind: 'published', count: command.count }));
    else timers.push(...steady(command, reply));
  });
  process.once('SIGTERM', () => {
    timers.forEach(clearInterval);
    void emu.close().then(() => process.exit(0));
  });
  reply({ kind: 'ready', apiBase: emu.apiBase, loginBase: emu.loginBase });

  function burst(count: number, done: () => void): void {
    let published = 0;
    const pump = (): void => {
      emu.publish(TOPIC, BODY, Math.min(BATCH, count - published));
      published += BATCH;
      // setImmediate lets the socket write between batches instead of buffering all of them at once.
      if (published < count) setImmediate(pump);
      else done();
    };
    pump();
  }

  function steady(command: Extract<Command, { kind: 'steady' }>, send: (r: Reply) => void): NodeJS.Timeout[] {
    const perTick = Math.max(1, Math.round(command.rate / 10));
    let fault = 0;
    const publishing = setInterval(() => emu.publish(TOPIC, BODY, perTick), 100);
    const faulting = setInterval(() => {
      const kind = FAULTS[fault++ % FAULTS.length] ?? 'drop';
      emu.fault({ kind });
      send({ kind: 'faulted', fault: kind });
    }, command.faultEveryMs);
    const startedAt = performance.now();
    const reporting = setInterval(() => send(emulatorMemory(startedAt)), GC_EVERY_S * 1_000);
    return [publishing, faulting, reporting];
  }
}

function emulatorMemory(startedAt: number): Reply {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { kind: 'memory', t: (performance.now() - startedAt) / 1000, rssMb: mb(m.rss), heapMb: mb(m.heapUsed) };
}

// ---------------------------------------------------------------- the relay side, in this process

class NoopSink implements Sink {
  readonly name = 'noop';
  readonly maxBatch = 500;
  delivered = 0;
  deliver(events: readonly RelayEvent[]): Promise<BatchOutcome> {
    this.delivered += events.length;
    return Promise.resolve(events.map(() => ({ kind: 'delivered' as const })));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * How events reach the sink. `outbox`: as the relay does it, onEvent resolves once the event is committed and the
 * client keeps OUTBOX_APPENDS_IN_FLIGHT of them in flight. `direct`: batched straight into the sink.
 */
type Mode = 'outbox' | 'direct';

interface Relay {
  client: NotificationClient;
  sink: NoopSink;
  outbox: SqliteOutbox | undefined;
  /** The outbox's directory (undefined without an outbox). */
  dir: string | undefined;
  close(): Promise<void>;
}

interface RelayOptions {
  heartbeatMs: number;
  /** For the memory run: finished rows are pruned, so the file stays bounded like a relay in steady state. */
  retentionMs?: number;
}

function startRelay(emu: EmulatorProcess, mode: Mode, options: RelayOptions): Relay {
  const tokens = RefreshingTokenProvider.clientCredentials({
    loginBase: emu.loginBase,
    clientId: 'demo',
    clientSecret: 'demo',
  });
  const api = new GenesysRestClient({ apiBase: emu.apiBase, tokens });
  const sink = new NoopSink();
  const dir = mode === 'direct' ? undefined : mkdtempSync(join(tmpdir(), 'genesys-relay-bench-'));
  const outbox = dir
    ? new SqliteOutbox({
        path: join(dir, 'outbox.sqlite'),
        ...(options.retentionMs === undefined ? { pruneIntervalMs: 0 } : { retentionMs: options.retentionMs }),
        ...(options.retentionMs === undefined ? {} : { pruneIntervalMs: options.retentionMs / 2 }),
      })
    : undefined;
  const dispatcher = outbox ? new Dispatcher({ outbox, sinks: [sink] }) : undefined;
  dispatcher?.start();
  const client = new NotificationClient({
    api,
    tokens,
    topics: [TOPIC],
    heartbeatMs: options.heartbeatMs,
    onEvent: outbox ? async (event) => void (await outbox.append(event)) : directHandOff(sink),
    ...(outbox ? { onEventConcurrency: OUTBOX_APPENDS_IN_FLIGHT } : {}),
  });
  const close = async (): Promise<void> => {
    await client.close();
    outbox?.flush();
    await dispatcher?.close({ drainTimeoutMs: 2_000 });
    outbox?.close();
    await api.close();
    tokens.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  return { client, sink, outbox, dir, close };
}

/** Collects events for one macrotask (or maxBatch), then hands them to the sink in one deliver(). */
function directHandOff(sink: NoopSink): (event: RelayEvent) => void {
  let batch: RelayEvent[] = [];
  const flush = (): void => {
    const events = batch;
    batch = [];
    if (events.length > 0) void sink.deliver(events);
  };
  return (event) => {
    batch.push(event);
    if (batch.length >= sink.maxBatch) flush();
    else if (batch.length === 1) setImmediate(flush);
  };
}

// ---------------------------------------------------------------- throughput

async function throughput(emu: EmulatorProcess, mode: Mode): Promise<number> {
  const relay = startRelay(emu, mode, { heartbeatMs: 60_000 });
  try {
    await relay.client.start();
    const startedAt = performance.now();
    const count = EVENTS;
    emu.send({ kind: 'burst', count });
    await pollUntil(() => relay.sink.delivered >= count, BURST_TIMEOUT_MS, 5);
    const elapsedS = (performance.now() - startedAt) / 1000;
    progress(`${mode}: ${relay.sink.delivered} delivered in ${elapsedS.toFixed(1)} s`);
    // A burst cut short by the timeout still gives a rate: what was delivered in the time allowed.
    return relay.sink.delivered / elapsedS;
  } finally {
    await relay.close();
  }
}

async function throughputFigures(): Promise<Figures> {
  const emu = await forkEmulator({ heartbeatMs: 60_000 });
  try {
    const rates: Record<Mode, number[]> = { outbox: [], direct: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['direct', 'outbox'] as const) rates[mode].push(await throughput(emu, mode));
    }
    // Back-to-back runs see the same machine load, so the median of per-round ratios is the robust comparison.
    const ratio = (mode: Mode): number => median(rates[mode].map((r, i) => r / (rates.direct[i] ?? Number.NaN)));
    return {
      'relay.events': EVENTS,
      'relay.rounds': ROUNDS,
      'relay.e2e_outbox_events_per_s': Math.round(median(rates.outbox)),
      'relay.e2e_no_outbox_events_per_s': Math.round(median(rates.direct)),
      'relay.outbox_vs_direct_pct': round1(ratio('outbox') * 100),
    };
  } finally {
    await emu.close();
  }
}

// ---------------------------------------------------------------- memory

interface Sample {
  t: number;
  rssMb: number;
  heapMb: number;
  /** Memory outside the JS heap that V8 knows of (Buffers, ws frames); SQLite's own allocations are not in it. */
  externalMb: number;
}

async function memoryFigures(durationS: number): Promise<Figures> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return memoryInChild(durationS);
  const emu = await forkEmulator({ heartbeatMs: 2_000, socketClosingLeadMs: 1_000 });
  const relay = startRelay(emu, 'outbox', { heartbeatMs: 2_000, retentionMs: 20_000 });
  const faults: Record<string, number> = {};
  const emulatorSamples: Sample[] = [];
  const offReplies = emu.on((r) => {
    if (r.kind === 'faulted') faults[r.fault] = (faults[r.fault] ?? 0) + 1;
    if (r.kind === 'memory') emulatorSamples.push({ ...r, externalMb: 0 });
  });
  try {
    await relay.client.start();
    emu.send({ kind: 'steady', rate: MEMORY_RATE, faultEveryMs: FAULT_EVERY_MS });
    const { samples, afterGc } = await sampleMemory(durationS, gc);
    const counters = relay.client.counters;
    return {
      ...memorySummary(samples, afterGc),
      'relay.memory_duration_s': durationS,
      'relay.memory_rate_events_per_s': MEMORY_RATE,
      'relay.memory_events_delivered': relay.sink.delivered,
      'relay.memory_faults': Object.entries(faults)
        .map(([k, n]) => `${k}×${n}`)
        .join(' '),
      ...outboxFileFigures(relay.dir),
      ...emulatorSummary(emulatorSamples),
      'relay.memory_heap_total_mb_end': round1(mb(process.memoryUsage().heapTotal)),
      'relay.memory_reconnects': counters.reconnects,
      'relay.memory_rollovers': counters.rollovers,
    };
  } finally {
    offReplies();
    await relay.close();
    await emu.close();
  }
}

/** Every second: rss and heapUsed; every GC_EVERY_S: heapUsed right after a full GC (what is really retained). */
function sampleMemory(durationS: number, gc: () => void): Promise<{ samples: Sample[]; afterGc: Sample[] }> {
  const samples: Sample[] = [];
  const afterGc: Sample[] = [];
  const startedAt = performance.now();
  const take = (): Sample => {
    const m = process.memoryUsage();
    const t = (performance.now() - startedAt) / 1000;
    return { t, rssMb: mb(m.rss), heapMb: mb(m.heapUsed), externalMb: mb(m.external) };
  };
  const collect = (): void => {
    gc();
    afterGc.push(take());
  };
  collect();
  return new Promise((resolve) => {
    let second = 0;
    const timer = setInterval(() => {
      second++;
      samples.push(take());
      if (second % GC_EVERY_S === 0) collect();
      if (second < durationS) return;
      clearInterval(timer);
      resolve({ samples, afterGc });
    }, 1_000);
  });
}

function memorySummary(samples: Sample[], afterGc: Sample[]): Figures {
  const half = (xs: Sample[]): Sample[] => xs.slice(Math.floor(xs.length / 2));
  const rss = samples.map((s) => s.rssMb);
  return {
    'relay.memory_rss_mb_start': round1(samples[0]?.rssMb ?? Number.NaN),
    'relay.memory_rss_mb_end': round1(samples.at(-1)?.rssMb ?? Number.NaN),
    'relay.memory_rss_mb_max': round1(Math.max(...rss)),
    'relay.memory_heap_after_gc_mb_start': round1(afterGc[0]?.heapMb ?? Number.NaN),
    'relay.memory_heap_after_gc_mb_end': round1(afterGc.at(-1)?.heapMb ?? Number.NaN),
    'relay.memory_heap_after_gc_series_mb': afterGc.map((s) => s.heapMb.toFixed(1)).join(' '),
    'relay.memory_rss_after_gc_series_mb': afterGc.map((s) => s.rssMb.toFixed(0)).join(' '),
    'relay.memory_external_after_gc_series_mb': afterGc.map((s) => s.externalMb.toFixed(1)).join(' '),
    'relay.memory_heap_slope_mb_per_min': round2(slopePerMin(half(afterGc), (s) => s.heapMb)),
    'relay.memory_rss_slope_mb_per_min': round2(slopePerMin(half(samples), (s) => s.rssMb)),
  };
}

/** The emulator's own memory (its process), for comparison with the soak, which ran it inside the relay's. */
function emulatorSummary(samples: Sample[]): Figures {
  return {
    'relay.emulator_rss_mb_end': round1(samples.at(-1)?.rssMb ?? Number.NaN),
    'relay.emulator_heap_after_gc_series_mb': samples.map((s) => s.heapMb.toFixed(1)).join(' '),
    'relay.emulator_heap_slope_mb_per_min': round2(slopePerMin(samples.slice(samples.length / 2), (s) => s.heapMb)),
    'relay.emulator_rss_slope_mb_per_min': round2(slopePerMin(samples.slice(samples.length / 2), (s) => s.rssMb)),
  };
}

/** Least-squares slope of `value` against time, in MB per minute. */
function slopePerMin(xs: Sample[], value: (s: Sample) => number): number {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const meanT = xs.reduce((a, s) => a + s.t, 0) / n;
  const meanV = xs.reduce((a, s) => a + value(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of xs) {
    num += (s.t - meanT) * (value(s) - meanV);
    den += (s.t - meanT) ** 2;
  }
  return (num / den) * 60;
}

/**
 * Sizes of the outbox file and its WAL at the end: better-sqlite3 builds SQLite with a 16,000 KiB page cache per
 * connection (SQLITE_DEFAULT_CACHE_SIZE=-16000), filled as the file outgrows it, so RSS rises to that bound.
 */
function outboxFileFigures(dir: string | undefined): Figures {
  if (!dir) return {};
  const size = (name: string): number => round1(mb(statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0));
  return {
    'relay.memory_outbox_file_mb_end': size('outbox.sqlite'),
    'relay.memory_outbox_wal_mb_end': size('outbox.sqlite-wal'),
  };
}

/** The memory part under `node --expose-gc`, in a child that prints its figures as JSON on the last line. */
async function memoryInChild(durationS: number): Promise<Figures> {
  const args = ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--memory-only'];
  const child = spawn(process.execPath, [...args, '--memory-s', String(durationS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`memory bench child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Figures;
}

// ---------------------------------------------------------------- entry points

function memoryDuration(argv: readonly string[]): number {
  const flag = argv.indexOf('--memory-s');
  const fromFlag = flag >= 0 ? Number(argv[flag + 1]) : Number.NaN;
  const fromEnv = Number(process.env['GENESYS_RELAY_BENCH_MEMORY_S']);
  if (Number.isFinite(fromFlag) && fromFlag > 0) return fromFlag;
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MEMORY_S;
}

export async function run(): Promise<Figures> {
  const argv = process.argv.slice(2);
  const throughputPart = argv.includes('--skip-throughput') ? {} : await throughputFigures();
  return { ...throughputPart, ...(await memoryFigures(memoryDuration(argv))) };
}

/** Progress on stderr: the figures alone go to stdout. */
function progress(line: string): void {
  process.stderr.write(`  relay: ${line}\n`);
}

function mb(bytes: number): number {
  return bytes / 2 ** 20;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

const argv = process.argv.slice(2);
if (argv[0] === '--emulator') {
  await emulatorMain(JSON.parse(argv[1] ?? '{}') as EmulatorOptions);
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (argv.includes('--memory-only')) console.log(JSON.stringify(await memoryFigures(memoryDuration(argv))));
  else console.log(JSON.stringify(await run(), null, 2));
}
