/**
 * The delivery path side by side (issue 10), in one run, on realistic frames (~800 bytes: a ~650-byte eventBody,
 * a fresh CorrelationId each). The emulator is the firehose, in a child process (its own core); every contender runs
 * in this process, one at a time, interleaved round by round:
 * - `frames`: a `ws` consumer that only counts frames: the firehose check (it must be well ahead of `raw`);
 * - `raw`: a `ws` consumer that JSON-parses each frame and counts it (the least any real consumer does);
 * - `client`: the NotificationClient with a no-op onEvent;
 * - `relay_ndjson`: the relay's pipeline (client → SqliteOutbox, synchronous=FULL, group commit, appends in flight as
 *   in src/service/pipeline.ts → Dispatcher → ndjson file sink, fdatasync per batch);
 * - `relay_noop`: the same with a sink that does nothing;
 * - `append`: the outbox's durable append alone (the same events, appends in flight, no socket), keys given;
 * - `append_keyed`: the same with the events made as the client makes them, so each append computes its key (the
 *   relay's own append: the client computes keys only while copies are possible, around rollovers).
 * Figures: events/s min/median/max over ROUNDS, ratios vs `raw` per round (median and range), the relay vs its own
 * append rate; per contender, its CPU per event (all threads of this process), how busy its main thread was and the
 * firehose's CPU per event, and from these the CPU budget of the relay goal on this machine (costFigures); CPU (% of
 * one core, process.cpuUsage) at a steady 500 events/s, relay vs bare client, and the relay's outbox commits/s there,
 * and the durability floor at that pace (bench/lib/durability-floor.ts), in interleaved rounds
 * (BENCH_DELIVERY_CPU_ROUNDS, default 3); latency from publish to the ndjson line on disk (the sink's fdatasync
 * returned) p50/p99 at 100 and 1,000 events/s.
 * Run alone: node --import tsx bench/delivery.ts   (BENCH_DELIVERY_EVENTS, BENCH_DELIVERY_ROUNDS scale it down;
 * BENCH_DELIVERY_PARTS=cpu,latency runs only those parts; BENCH_DELIVERY_FLUSH_MAX_MS=5 the fixed interval of before;
 * BENCH_DELIVERY_ACK=event one promise per event as before; BENCH_DELIVERY_PREFILL_ROWS=1000000 gives the relay
 * and append contenders an outbox already holding that many events, as at steady-state retention)
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { RefreshingTokenProvider } from '../src/auth/refreshing-token-provider.ts';
import { outboxSchema } from '../src/config/schema.ts';
import { NotificationClient } from '../src/client/index.ts';
import { startEmulator } from '../src/emulator/index.ts';
import type { RelayEvent } from '../src/envelope/envelope.ts';
import { relayFields } from '../src/envelope/relay-fields.ts';
import { GenesysRestClient } from '../src/genesys/rest-client.ts';
import { Dispatcher } from '../src/outbox/dispatcher.ts';
import { SqliteOutbox, type SqliteOutboxOptions } from '../src/outbox/sqlite-outbox.ts';
import { OUTBOX_APPENDS_IN_FLIGHT } from '../src/service/pipeline.ts';
import { createNdjsonSink } from '../src/sinks/ndjson/ndjson-sink.ts';
import type { BatchOutcome, Sink, StoredEvent } from '../src/sinks/sink.ts';
import { durabilityFloorPct } from './lib/durability-floor.ts';
import { fillOutboxEvents } from './lib/fill-outbox.ts';
import { BENCH_TOPIC, median, percentile, pollUntil, round1, stopChild } from './lib/figures.ts';

type Figures = Record<string, number | string>;

const EVENTS = Number(process.env.BENCH_DELIVERY_EVENTS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_DELIVERY_ROUNDS ?? 5);
const BATCH = 2_000;
const BURST_TIMEOUT_MS = 120_000;
const CPU_RATE = 500;
const CPU_SECONDS = 10;
/** Interleaved rounds of the CPU measurement (client, relay, floor). BENCH_DELIVERY_CPU_ROUNDS. @default 3 */
const CPU_ROUNDS = Number(process.env.BENCH_DELIVERY_CPU_ROUNDS ?? 3);
const LATENCY_RATES = [100, 1_000] as const;
const LATENCY_SECONDS = 10;
const TOPIC = BENCH_TOPIC;
const ALL_CONTENDERS = ['frames', 'raw', 'client', 'relay_ndjson', 'relay_noop', 'append', 'append_keyed'] as const;
type AppendContender = 'append' | 'append_keyed';
type Contender = (typeof ALL_CONTENDERS)[number];
/** BENCH_DELIVERY_ONLY=raw,client runs those alone, throughput only (for profiling with --cpu-prof). */
const ONLY = process.env.BENCH_DELIVERY_ONLY?.split(',').filter((c): c is Contender =>
  (ALL_CONTENDERS as readonly string[]).includes(c),
);
const CONTENDERS: readonly Contender[] = ONLY && ONLY.length > 0 ? ONLY : ALL_CONTENDERS;
/** BENCH_DELIVERY_PARTS=cpu,latency runs only those parts (of throughput, cpu, latency). @default all three */
const PARTS = new Set(process.env.BENCH_DELIVERY_PARTS?.split(',') ?? ['throughput', 'cpu', 'latency']);
/** Events already in the outbox when a relay or append contender starts (steady-state retention). @default 0 */
const PREFILL_ROWS = Number(process.env.BENCH_DELIVERY_PREFILL_ROWS ?? 0);

/** A conversation-like body of ~650 bytes of JSON; `publishedAt` (ms, wall clock) is set for latency runs. */
function benchBody(publishedAt = 0): Record<string, unknown> {
  return {
    id: 'f0c1a2b3-0000-4000-8000-00000000be11',
    publishedAt,
    participants: [0, 1].map((i) => ({
      id: `7a1d${i}e2c-1111-4000-8000-0000000000${i}${i}`,
      purpose: i === 0 ? 'customer' : 'agent',
      userId: '00000000-0000-4000-8000-00000000be11',
      queueId: '5c6d7e8f-2222-4000-8000-000000000042',
      state: 'connected',
      connectedTime: '2026-11-30T12:00:00.000Z',
      mediaType: 'chat',
      wrapupRequired: i === 1,
    })),
    recordingState: 'none',
  };
}

// ---------------------------------------------------------------- the firehose (emulator), in a child process

type Command = { kind: 'burst'; count: number } | { kind: 'steady'; rate: number; seconds: number } | { kind: 'cpu' };
type Reply =
  | { kind: 'ready'; apiBase: string; loginBase: string }
  | { kind: 'done'; published: number }
  | { kind: 'cpu'; micros: number };

interface Firehose {
  apiBase: string;
  loginBase: string;
  /** Sends the command; resolves when the child has published everything. */
  run(command: Exclude<Command, { kind: 'cpu' }>): Promise<number>;
  /** CPU time the firehose process has used so far, all its threads (µs). */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

async function forkFirehose(): Promise<Firehose> {
  const child = fork(fileURLToPath(import.meta.url), ['--firehose'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Reply>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Reply));
    child.once('exit', (code) => reject(new Error(`firehose exited (${code})`)));
  });
  if (ready.kind !== 'ready') throw new Error('firehose did not start');
  return {
    apiBase: ready.apiBase,
    loginBase: ready.loginBase,
    run: (command) =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as Extract<Reply, { kind: 'done' }>).published));
        child.send(command);
      }),
    cpuMicros: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as Extract<Reply, { kind: 'cpu' }>).micros));
        child.send({ kind: 'cpu' } satisfies Command);
      }),
    close: () => stopChild(child),
  };
}

async function firehoseMain(): Promise<void> {
  const emu = await startEmulator({ heartbeatMs: 60_000, maxChannelsPerClient: 1_000, rateLimitPerMinute: 100_000 });
  const body = benchBody();
  process.on('message', (command: Command) => {
    if (command.kind === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ kind: 'cpu', micros: user + system } satisfies Reply);
      return;
    }
    const done = (published: number): void => void process.send?.({ kind: 'done', published } satisfies Reply);
    if (command.kind === 'burst') {
      let published = 0;
      const pump = (): void => {
        const n = Math.min(BATCH, command.count - published);
        emu.publish(TOPIC, body, n);
        published += n;
        // setImmediate lets the socket write between batches instead of buffering all of them at once.
        if (published < command.count) setImmediate(pump);
        else done(published);
      };
      pump();
      return;
    }
    steady((topic, body, count) => emu.publish(topic, body, count), command, done);
  });
  process.once('SIGTERM', () => void emu.close().then(() => process.exit(0)));
  process.send?.({ kind: 'ready', apiBase: emu.apiBase, loginBase: emu.loginBase } satisfies Reply);
}

/** `rate` events/s for `seconds`, one publish every millisecond that is due (each stamped with its own time). */
function steady(
  publish: (topic: string, body?: unknown, count?: number) => unknown,
  command: Extract<Command, { kind: 'steady' }>,
  done: (published: number) => void,
): void {
  const total = command.rate * command.seconds;
  const startedAt = performance.now();
  let published = 0;
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * command.rate));
    for (; published < due; published++) publish(TOPIC, benchBody(wallNow()), 1);
    if (published >= total) {
      clearInterval(timer);
      done(published);
    }
  }, 1);
}

function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

// ---------------------------------------------------------------- contenders

interface Run {
  /** Events seen by the contender so far, and when the last one was. */
  count: number;
  lastAt: number;
  /** Outbox commits so far (relay contenders only). */
  commits?: number;
  close(): Promise<void>;
}

/** A channel subscribed to TOPIC, made with plain REST calls (what a raw consumer would do). */
async function rawChannel(fh: Firehose): Promise<string> {
  const auth = Buffer.from('demo:demo').toString('base64');
  const tokenRes = await fetch(`${fh.loginBase}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const channelRes = await fetch(`${fh.apiBase}/api/v2/notifications/channels`, { method: 'POST', headers });
  const channel = (await channelRes.json()) as { id: string; connectUri: string };
  await fetch(`${fh.apiBase}/api/v2/notifications/channels/${channel.id}/subscriptions`, {
    method: 'PUT',
    headers,
    body: JSON.stringify([{ id: TOPIC }]),
  });
  return channel.connectUri;
}

async function wsConsumer(fh: Firehose, parse: boolean): Promise<Run> {
  const ws = new WebSocket(await rawChannel(fh), { perMessageDeflate: false });
  const run: Run = { count: 0, lastAt: 0, close: () => Promise.resolve(ws.terminate()) };
  ws.on('message', (data: Buffer) => {
    if (parse) {
      const frame = JSON.parse(data.toString('utf8')) as { topicName?: string };
      if (frame.topicName !== TOPIC) return;
    }
    run.count++;
    run.lastAt = performance.now();
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return run;
}

function restParts(fh: Firehose): { tokens: RefreshingTokenProvider; api: GenesysRestClient } {
  const tokens = RefreshingTokenProvider.clientCredentials({
    loginBase: fh.loginBase,
    clientId: 'demo',
    clientSecret: 'demo',
  });
  return { tokens, api: new GenesysRestClient({ apiBase: fh.apiBase, tokens }) };
}

async function bareClient(fh: Firehose): Promise<Run> {
  const { tokens, api } = restParts(fh);
  const run: Run = { count: 0, lastAt: 0, close: () => Promise.resolve() };
  const client = new NotificationClient({
    api,
    tokens,
    topics: [TOPIC],
    heartbeatMs: 60_000,
    onEvent: () => {
      run.count++;
      run.lastAt = performance.now();
    },
  });
  run.close = async () => {
    await client.close();
    await api.close();
    tokens.close();
  };
  await client.start();
  return run;
}

/** Counts what the real sink acknowledged, and when; `latencies` (ms) from `publishedAt` in the body, if asked. */
class CountingSink implements Sink {
  readonly name: string;
  readonly maxBatch: number;
  latencies: number[] | undefined;
  constructor(
    private readonly inner: Sink,
    private readonly run: Run,
  ) {
    this.name = inner.name;
    this.maxBatch = inner.maxBatch;
  }
  async deliver(events: readonly RelayEvent[], signal: AbortSignal): Promise<BatchOutcome> {
    const outcomes = await this.inner.deliver(events, signal);
    const now = wallNow();
    this.run.count += outcomes.filter((o) => o.kind === 'delivered').length;
    this.run.lastAt = performance.now();
    if (this.latencies) for (const e of events) this.latencies.push(now - publishedAt(e));
    return outcomes;
  }
  /** Passes the stored JSON on, as the dispatcher does for the bare sink (the ndjson sink writes it as is). */
  async deliverStored(events: readonly StoredEvent[], signal: AbortSignal): Promise<BatchOutcome> {
    const inner = this.inner;
    const outcomes = inner.deliverStored
      ? await inner.deliverStored(events, signal)
      : await inner.deliver(
          events.map((e) => e.event),
          signal,
        );
    const now = wallNow();
    this.run.count += outcomes.filter((o) => o.kind === 'delivered').length;
    this.run.lastAt = performance.now();
    // Read off the text, so measuring does not add the parse the stored path saves.
    if (this.latencies) for (const e of events) this.latencies.push(now - storedPublishedAt(e.payload));
    return outcomes;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function storedPublishedAt(payload: string): number {
  const match = /"publishedAt":(\d+)/.exec(payload);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
}

function publishedAt(event: RelayEvent): number {
  const body = event.eventBody as { publishedAt?: unknown };
  return typeof body.publishedAt === 'number' ? body.publishedAt : Number.NaN;
}

const NOOP_SINK: Sink = {
  name: 'noop',
  maxBatch: 500,
  deliver: (events) => Promise.resolve(events.map(() => ({ kind: 'delivered' as const }))),
  close: () => Promise.resolve(),
};

async function relay(fh: Firehose, sinkKind: 'ndjson' | 'noop'): Promise<Run & { sink: CountingSink }> {
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-bench-delivery-'));
  const { tokens, api } = restParts(fh);
  const outbox = prefilled(join(dir, 'outbox.sqlite'), groupCommitTimings());
  const base: Run = { count: 0, lastAt: 0, close: () => Promise.resolve() };
  const inner = sinkKind === 'ndjson' ? createNdjsonSink(join(dir, 'events.ndjson')) : NOOP_SINK;
  const sink = new CountingSink(inner, base);
  const dispatcher = new Dispatcher({ outbox, sinks: [sink] });
  dispatcher.start();
  outbox.onCommit(() => (base.commits = (base.commits ?? 0) + 1));
  const client = new NotificationClient({
    api,
    tokens,
    topics: [TOPIC],
    heartbeatMs: 60_000,
    onEvent: process.env.BENCH_DELIVERY_ACK === 'event' ? acknowledgePerEvent(outbox) : acknowledgePerCommit(outbox),
    onEventConcurrency: OUTBOX_APPENDS_IN_FLIGHT,
  });
  const run = Object.assign(base, { sink });
  run.close = async () => {
    await client.close();
    outbox.flush();
    await dispatcher.close({ drainTimeoutMs: 2_000 });
    await sink.close();
    outbox.close();
    await api.close();
    tokens.close();
    rmSync(dir, { recursive: true, force: true });
  };
  await client.start();
  return run;
}

/**
 * The relay's group-commit timings (config defaults; BENCH_DELIVERY_FLUSH_MAX_MS overrides the rate-following bound,
 * e.g. 5 for the fixed 5 ms interval of before).
 */
function groupCommitTimings(): { flushIntervalMs: number; flushIntervalMaxMs: number } {
  const { flushIntervalMs, flushIntervalMaxMs } = outboxSchema.parse({});
  const override = process.env.BENCH_DELIVERY_FLUSH_MAX_MS;
  return { flushIntervalMs, flushIntervalMaxMs: override === undefined ? flushIntervalMaxMs : Number(override) };
}

/** BENCH_DELIVERY_ACK=event: one promise per event (outbox.append), the relay's acknowledgement before issue 10. */
function acknowledgePerEvent(outbox: SqliteOutbox): (event: RelayEvent) => Promise<void> {
  return async (event) => void (await outbox.append(event));
}

/** The relay's onEvent (service/relay.ts commit()): the events of one group commit share one acknowledgement. */
function acknowledgePerCommit(outbox: SqliteOutbox): (event: RelayEvent) => Promise<void> {
  let ack: { batch: Promise<unknown>; done: Promise<void> } | undefined;
  return (event) => {
    const batch = outbox.appendToBatch(event);
    if (ack?.batch !== batch) ack = { batch, done: batch.then(() => undefined) };
    return ack.done;
  };
}

/** An outbox holding PREFILL_ROWS events (pruning off). */
function prefilled(path: string, options: Partial<SqliteOutboxOptions> = {}): SqliteOutbox {
  if (PREFILL_ROWS > 0) {
    new SqliteOutbox({ path, pruneIntervalMs: 0 }).close();
    fillOutboxEvents(path, PREFILL_ROWS);
  }
  return new SqliteOutbox({ path, pruneIntervalMs: 0, ...options });
}

/**
 * The outbox's durable append alone: the same events, OUTBOX_APPENDS_IN_FLIGHT in flight. Events/s. `keyed`: the
 * events as the client makes them (relay-fields.ts), so the append computes each key (a digest over the body's
 * JSON) as the relay's does when no rollover is under way; otherwise plain objects with a key given.
 */
async function appendAlone(count: number, keyed: boolean): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-bench-append-'));
  const outbox = prefilled(join(dir, 'outbox.sqlite'));
  try {
    const body = benchBody();
    const receivedAt = new Date().toISOString();
    // Each event made just before its append, as the client makes it just before the relay appends it: events made
    // up front all live through the run, and computing their keys then costs the garbage collector far more.
    const eventAt = (): RelayEvent => {
      const correlationId = randomUUID();
      const metadata = { CorrelationId: correlationId };
      const relay = keyed
        ? relayFields(receivedAt, 'c', TOPIC, correlationId, body)
        : { receivedAt, channelId: 'c', key: randomUUID().replaceAll('-', '') };
      return { topicName: TOPIC, version: '2', eventBody: body, metadata, relay };
    };
    const startedAt = performance.now();
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    let made = 0;
    const lane = async (): Promise<void> => {
      for (; made < count; made++) await outbox.append(eventAt());
    };
    await Promise.all(Array.from({ length: OUTBOX_APPENDS_IN_FLIGHT }, lane));
    const cpu = process.cpuUsage(cpuBefore);
    return {
      rate: (count / (performance.now() - startedAt)) * 1000,
      cpuUsPerEvent: (cpu.user + cpu.system) / count,
      firehoseUsPerEvent: undefined,
      mainBusy: performance.eventLoopUtilization(loopBefore).utilization,
    };
  } finally {
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function start(fh: Firehose, contender: Exclude<Contender, AppendContender>): Promise<Run> {
  switch (contender) {
    case 'frames':
      return wsConsumer(fh, false);
    case 'raw':
      return wsConsumer(fh, true);
    case 'client':
      return bareClient(fh);
    case 'relay_ndjson':
      return relay(fh, 'ndjson');
    case 'relay_noop':
      return relay(fh, 'noop');
  }
}

/** One burst through one contender: its rate and what it cost (CPU per event, main-thread busy fraction). */
interface Sample {
  /** Events/s from the burst's start to the last event seen. */
  rate: number;
  /** CPU of this process, all its threads (the socket thread, libuv's pool, V8's helpers), per event: µs. */
  cpuUsPerEvent: number;
  /** The firehose child's CPU per event over the same burst: µs (undefined for the append contenders). */
  firehoseUsPerEvent: number | undefined;
  /** Event-loop utilisation of this process's main thread over the burst, 0-1. */
  mainBusy: number;
}

/** One burst of EVENTS through one contender. */
async function throughput(fh: Firehose, contender: Contender): Promise<Sample> {
  if (contender === 'append' || contender === 'append_keyed') return appendAlone(EVENTS, contender === 'append_keyed');
  const run = await start(fh, contender);
  try {
    const firehoseBefore = await fh.cpuMicros();
    const startedAt = performance.now();
    // Counted from here: connecting and subscribing are not per-event work.
    const connected = process.cpuUsage();
    const loopConnected = performance.eventLoopUtilization();
    await fh.run({ kind: 'burst', count: EVENTS });
    await pollUntil(() => run.count >= EVENTS, BURST_TIMEOUT_MS, 2);
    const firehoseUs = (await fh.cpuMicros()) - firehoseBefore;
    const cpu = process.cpuUsage(connected);
    return {
      rate: (run.count / (run.lastAt - startedAt)) * 1000,
      cpuUsPerEvent: (cpu.user + cpu.system) / EVENTS,
      firehoseUsPerEvent: firehoseUs / EVENTS,
      mainBusy: performance.eventLoopUtilization(loopConnected).utilization,
    };
  } finally {
    await run.close();
  }
}

// ---------------------------------------------------------------- figures

async function throughputFigures(fh: Firehose): Promise<Figures> {
  const samples = Object.fromEntries(ALL_CONTENDERS.map((c) => [c, [] as Sample[]])) as Record<Contender, Sample[]>;
  // One untimed warm-up burst each, so no contender is measured while V8 still compiles its hot path.
  for (const contender of CONTENDERS) await throughput(fh, contender);
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of CONTENDERS) {
      const sample = await throughput(fh, contender);
      samples[contender].push(sample);
      process.stderr.write(
        `  round ${round + 1} ${contender}: ${Math.round(sample.rate)} events/s, ` +
          `${sample.cpuUsPerEvent.toFixed(1)} µs CPU/event, main thread ${Math.round(sample.mainBusy * 100)} % busy\n`,
      );
    }
  }
  const rates = (c: Contender): number[] => samples[c].map((s) => s.rate);
  const figures: Figures = { events_per_round: EVENTS, rounds: ROUNDS };
  for (const c of CONTENDERS) {
    const r = rates(c);
    figures[`${c}.events_per_s`] = rangeText(r, 0);
    if (c !== 'raw' && c !== 'append' && c !== 'append_keyed' && samples.raw.length > 0) {
      figures[`${c}.vs_raw`] = ratioText(r, rates('raw'));
    }
  }
  for (const base of ['append', 'append_keyed'] as const) {
    if (samples[base].length === 0) continue;
    figures[`relay_ndjson.vs_${base}`] = ratioText(rates('relay_ndjson'), rates(base));
    figures[`relay_noop.vs_${base}`] = ratioText(rates('relay_noop'), rates(base));
  }
  Object.assign(figures, costFigures(samples));
  return figures;
}

/**
 * What each event costs, and the CPU budget of the throughput goal: the machine's cores hold the firehose and the
 * relay together, so with today's work per event no division of it over threads can deliver more than
 * cores / (relay's µs + firehose's µs) events a second (`ceiling_on_all_cores`). If that is below half the raw
 * consumer's rate, the goal "relay >= 0.5 of raw" needs less work per event on this machine, not only more threads.
 */
function costFigures(samples: Record<Contender, Sample[]>): Figures {
  const figures: Figures = {};
  for (const c of CONTENDERS) {
    const s = samples[c];
    if (s.length === 0) continue;
    figures[`${c}.cpu_us_per_event`] = rangeText(
      s.map((x) => x.cpuUsPerEvent),
      1,
    );
    figures[`${c}.main_thread_busy`] = rangeText(
      s.map((x) => x.mainBusy),
      2,
    );
    const firehose = s.flatMap((x) => (x.firehoseUsPerEvent === undefined ? [] : [x.firehoseUsPerEvent]));
    if (firehose.length > 0) figures[`${c}.firehose_cpu_us_per_event`] = rangeText(firehose, 1);
  }
  const relay = samples.relay_ndjson;
  if (relay.length === 0 || samples.raw.length === 0) return figures;
  const cores = availableParallelism();
  const perEvent = median(relay.map((x) => x.cpuUsPerEvent + (x.firehoseUsPerEvent ?? 0)));
  const ceiling = (cores * 1e6) / perEvent;
  const raw = median(samples.raw.map((x) => x.rate));
  figures['budget.cores'] = cores;
  figures['budget.relay_ndjson_plus_firehose_cpu_us_per_event'] = round1(perEvent);
  figures['budget.relay_ndjson.cores_needed_at_half_raw'] = round1((perEvent * raw * 0.5) / 1e6);
  figures['budget.relay_ndjson.ceiling_on_all_cores'] = Math.round(ceiling);
  figures['budget.relay_ndjson.ceiling_vs_raw'] = (ceiling / raw).toFixed(2);
  return figures;
}

/** Median (min-max) of `xs`, each with `digits` decimals. */
function rangeText(xs: readonly number[], digits: number): string {
  const f = (v: number): string => (digits === 0 ? String(Math.round(v)) : v.toFixed(digits));
  return `${f(median(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})`;
}

/** Median of per-round ratios (each round's contenders saw the same machine load), with their range. */
function ratioText(xs: readonly number[], ys: readonly number[]): string {
  const ratios = xs.map((x, i) => x / (ys[i] ?? Number.NaN));
  const f = (v: number): string => v.toFixed(2);
  return `${f(median(ratios))} (${f(Math.min(...ratios))}-${f(Math.max(...ratios))})`;
}

/** % of one core this process used while `rate` events/s went through the contender, and its outbox commits/s. */
async function cpuAt(
  fh: Firehose,
  contender: 'client' | 'relay_ndjson',
): Promise<{ pct: number; commitsPerS: number }> {
  const run = await start(fh, contender);
  try {
    await fh.run({ kind: 'steady', rate: CPU_RATE, seconds: 1 }); // warm-up
    const before = process.cpuUsage();
    const commitsBefore = run.commits ?? 0;
    const startedAt = performance.now();
    await fh.run({ kind: 'steady', rate: CPU_RATE, seconds: CPU_SECONDS });
    const used = process.cpuUsage(before);
    const ms = performance.now() - startedAt;
    return {
      pct: round1(((used.user + used.system) / 1000 / ms) * 100),
      commitsPerS: Math.round((((run.commits ?? 0) - commitsBefore) / ms) * 1000),
    };
  } finally {
    await run.close();
  }
}

/**
 * CPU at CPU_RATE, CPU_ROUNDS interleaved rounds of: the bare client, the relay, and the durability floor at the
 * relay's commit pace (bench/lib/durability-floor.ts). Median (min-max); ratios per round, as the machine's load
 * moves between rounds.
 */
async function cpuFigures(fh: Firehose): Promise<Figures> {
  const client: number[] = [];
  const relay: number[] = [];
  const commits: number[] = [];
  const floor: number[] = [];
  for (let round = 0; round < CPU_ROUNDS; round++) {
    client.push((await cpuAt(fh, 'client')).pct);
    const run = await cpuAt(fh, 'relay_ndjson');
    relay.push(run.pct);
    commits.push(run.commitsPerS);
    // The same fsync pace with nothing else: what any durable relay pays at this rate, whatever its code.
    const perCommit = Math.round(CPU_RATE / Math.max(1, run.commitsPerS));
    floor.push(round1(await durabilityFloorPct(run.commitsPerS, perCommit, CPU_SECONDS)));
    process.stderr.write(
      `  cpu round ${round + 1}: client ${client.at(-1)} %, relay ${run.pct} %, floor ${floor.at(-1)} %\n`,
    );
  }
  const key = `cpu_at_${CPU_RATE}_per_s`;
  return {
    [`${key}.rounds`]: CPU_ROUNDS,
    [`${key}.client_pct_core`]: rangeText(client, 1),
    [`${key}.relay_ndjson_pct_core`]: rangeText(relay, 1),
    [`${key}.relay_vs_client`]: ratioText(relay, client),
    [`${key}.relay_commits_per_s`]: Math.round(median(commits)),
    [`${key}.durability_floor_pct_core`]: rangeText(floor, 1),
    [`${key}.floor_vs_client`]: ratioText(floor, client),
    [`${key}.relay_vs_floor`]: ratioText(relay, floor),
  };
}

async function latencyAt(fh: Firehose, rate: number): Promise<number[]> {
  const run = await relay(fh, 'ndjson');
  try {
    await fh.run({ kind: 'steady', rate, seconds: 1 }); // warm-up
    await pollUntil(() => run.count >= rate, 10_000, 2);
    run.sink.latencies = [];
    const target = run.count + rate * LATENCY_SECONDS;
    await fh.run({ kind: 'steady', rate, seconds: LATENCY_SECONDS });
    await pollUntil(() => run.count >= target, 30_000, 2);
    return run.sink.latencies;
  } finally {
    await run.close();
  }
}

export async function run(): Promise<Figures> {
  const fh = await forkFirehose();
  try {
    const figures: Figures = PARTS.has('throughput') ? await throughputFigures(fh) : {};
    if (ONLY && ONLY.length > 0) return figures;
    if (PARTS.has('cpu')) Object.assign(figures, await cpuFigures(fh));
    for (const rate of PARTS.has('latency') ? LATENCY_RATES : []) {
      const ms = await latencyAt(fh, rate);
      figures[`latency_ms_at_${rate}_per_s.p50`] = round1(percentile(ms, 0.5));
      figures[`latency_ms_at_${rate}_per_s.p99`] = round1(percentile(ms, 0.99));
      figures[`latency_ms_at_${rate}_per_s.events`] = ms.length;
    }
    return figures;
  } finally {
    await fh.close();
  }
}

if (process.argv.includes('--firehose')) {
  await firehoseMain();
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
