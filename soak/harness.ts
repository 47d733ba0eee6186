import type { ClientCounters } from '../src/client/index.ts';
import type { SinkCounters } from '../src/outbox/dispatcher.ts';
import { startEmulator, type EmulatorHandle, type EmulatorState } from '../src/emulator/index.ts';
import { FaultScheduler } from './fault-scheduler.ts';
import { PublishingLoad } from './load.ts';
import { Ledger } from './ledger.ts';
import type { SoakOptions } from './options.ts';
import { buildPipeline, canaryTopic, outboxFile, soakTopics, type Pipeline } from './pipeline.ts';
import { forkPrng } from './prng.ts';
import { buildResult, type SoakResult } from './result.ts';
import { Sampler } from './sampler.ts';
import { SinkOutages } from './sink-outages.ts';
import { outboxStorage, type OutboxStorage } from './storage.ts';
import { StorageFaults } from './storage-faults.ts';
import { join } from 'node:path';

/** What the run produced, before analysis. */
export interface SoakRun {
  options: SoakOptions;
  startedAt: number;
  loadStoppedAt: number;
  endedAt: number;
  ledger: Ledger;
  pipeline: Pipeline;
  scheduler: FaultScheduler;
  sampler: Sampler;
  outages: SinkOutages;
  storage: { faults: StorageFaults; tmpfsMb: number | undefined; unavailable: string | undefined };
  clientCounters: ClientCounters;
  dispatcherCounters: SinkCounters;
  emulatorState: EmulatorState;
  drained: boolean;
  /** Gaps the resyncer still had queued or in hand after the drain. */
  resyncPendingAtEnd: number;
}

/**
 * One bounded soak: the emulator with scaled-down lifetimes, a steady publishing load, the relay pipeline as a
 * library, and a fault scheduler; then a drain and the analysis. Everything runs in this process.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const emulator = await startEmulator({
    heartbeatMs: options.heartbeatMs,
    socketClosingLeadMs: options.socketClosingLeadMs,
    channelTtlMs: options.channelTtlMs,
    tokenTtlS: options.tokenTtlS,
    // Per token and 60 s window. A soak token lives 6 s, and the resync reads here heal a load of 1,000 changes a
    // second at 10x the relay's pace (pipeline.ts): at the real 300 its bursts would take the whole window of a
    // 6 s token and starve the channel calls (429s, failed rollovers). Injected 429 faults still apply.
    rateLimitPerMinute: 3_000,
  });
  const storage = outboxStorage(join(options.stateDir, 'outbox'), options.tmpfsMb);
  try {
    return buildResult(await exercise(emulator, options, storage));
  } finally {
    await emulator.close();
    storage.release();
  }
}

interface Parts {
  ledger: Ledger;
  pipeline: Pipeline;
  load: PublishingLoad;
  scheduler: FaultScheduler;
  sampler: Sampler;
  outages: SinkOutages;
  storageFaults: StorageFaults;
}

async function exercise(emulator: EmulatorHandle, options: SoakOptions, storage: OutboxStorage): Promise<SoakRun> {
  const parts = assemble(emulator, options, storage);
  const { ledger, pipeline, load, scheduler, sampler, outages, storageFaults } = parts;
  try {
    pipeline.dispatcher.start();
    await pipeline.client.start();
    const startedAt = Date.now();
    const loadStoppedAt = await applyLoadAndFaults(parts, options);
    options.log(`load stopped after ${Math.round((loadStoppedAt - startedAt) / 1000)} s; draining`);
    const drained = await drain(emulator, pipeline, options.drainTimeoutMs);
    const resyncPendingAtEnd = pipeline.resyncer.status().pending;
    sampler.stop();
    const clientCounters = { ...pipeline.client.counters };
    const dispatcherCounters = pipeline.dispatcher.counters()['soak'] ?? { delivered: 0, retried: 0, deadLettered: 0 };
    await pipeline.close();
    const storageRun = { faults: storageFaults, tmpfsMb: storage.tmpfsMb, unavailable: storage.unavailable };
    const run = { options, startedAt, loadStoppedAt, ledger, pipeline, scheduler, sampler, outages, drained };
    const emulatorState = emulator.state();
    const counters = { clientCounters, dispatcherCounters, emulatorState, resyncPendingAtEnd };
    return { ...run, storage: storageRun, endedAt: Date.now(), ...counters };
  } finally {
    // On the error path: leave no timer or socket behind (each of these is idempotent).
    load.stop();
    scheduler.stop();
    outages.stop();
    storageFaults.kill();
    await storageFaults.stop();
    sampler.stop();
    await pipeline.close();
  }
}

function assemble(emulator: EmulatorHandle, options: SoakOptions, storage: OutboxStorage): Parts {
  const topics = soakTopics(options);
  const ledger = new Ledger(topics);
  const storageFaults = new StorageFaults({
    outboxPath: outboxFile(storage.dir),
    tmpfsDir: storage.tmpfsMb === undefined ? undefined : storage.dir,
    random: forkPrng(options.seed, 'storage'),
    meanIntervalMs: options.meanStorageFaultIntervalMs,
    holdMs: options.storageFaultHoldMs,
    log: options.log,
  });
  const placement = { dir: storage.dir, writeHooks: storageFaults.hooks() };
  const pipeline = buildPipeline(emulator, ledger, options, forkPrng(options.seed, 'client'), placement);
  const load = new PublishingLoad(
    emulator,
    ledger,
    topics,
    options.ratePerSecond,
    forkPrng(options.seed, 'load'),
    pipeline.entities,
  );
  pipeline.client.on('rejectedTopics', (info) => info.rejected.forEach((t) => load.retire(t.id ?? '')));
  const scheduler = new FaultScheduler(emulator, pipeline.observer, forkPrng(options.seed, 'faults'), {
    meanIntervalMs: options.meanFaultIntervalMs,
    minIntervalMs: options.minFaultIntervalMs,
    coverAllKinds: options.coverAllKinds,
    // A storage fault pauses reading (backpressure) for up to its hold plus the commit retry (≤ 500 ms): a close
    // or a silent socket is noticed only once reading resumes, and must still be charged to its own fault.
    effectTimeoutMs: Math.max(2_000, pipeline.liveness.watchdogMs * 4) + options.storageFaultHoldMs + 1_000,
    recoveryTimeoutMs: 15_000,
    canaryTopic: canaryTopic(),
    pongTimeoutMs: pipeline.liveness.pongTimeoutMs,
    log: options.log,
  });
  const sampler = new Sampler({
    published: () => load.published,
    received: () => pipeline.client.counters.eventsDelivered,
    delivered: () => pipeline.sink.delivered,
    outboxPending: () => pipeline.outbox.stats().sinks.find((s) => s.sink === 'soak')?.pending ?? 0,
    shardsLive: () => pipeline.observer.liveCount(),
  });
  const outages = new SinkOutages(pipeline.sink, forkPrng(options.seed, 'sink'), options.meanSinkOutageIntervalMs);
  return { ledger, pipeline, load, scheduler, sampler, outages, storageFaults };
}

/** Publishes and injects faults for the run's duration; returns when the load stopped. */
async function applyLoadAndFaults(parts: Parts, options: SoakOptions): Promise<number> {
  const { sampler, load, scheduler, outages, storageFaults } = parts;
  sampler.start();
  load.start();
  outages.start();
  storageFaults.start();
  const faults = scheduler.run();
  await sleep(options.durationMs);
  // A short run keeps going until every fault variant has had its turn (bounded).
  if (options.coverAllKinds && !scheduler.covered) options.log('extending the run until every fault variant has run');
  for (let waited = 0; options.coverAllKinds && !scheduler.covered && waited < 60_000; waited += 100) await sleep(100);
  scheduler.stop();
  outages.stop();
  await Promise.all([faults, storageFaults.stop()]);
  load.stop();
  return Date.now();
}

/**
 * Heals every lingering fault, lets the shards come back, the last frames arrive and the last gaps' resync finish,
 * then waits until the sink has everything the outbox accepted. False if that did not happen within `timeoutMs`.
 */
async function drain(emulator: EmulatorHandle, pipeline: Pipeline, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  emulator.fault({ kind: 'clear' });
  await pipeline.observer.until(() => pipeline.observer.allLive(), timeoutMs);
  await quiet(() => pipeline.client.counters.eventsReceived, 300, deadline);
  // The last gaps' resync (coalescing delay, then paced REST reads) commits its events before the final flush.
  await Promise.race([pipeline.resyncer.idle(), sleep(Math.max(0, deadline - Date.now()))]);
  pipeline.outbox.flush();
  while (Date.now() < deadline) {
    const { appends, sink } = pipeline;
    // Dead letters will not come: stop waiting for them (the report counts them as not delivered).
    const dead = pipeline.dispatcher.counters()['soak']?.deadLettered ?? 0;
    if (appends.pending === 0 && sink.delivered + dead >= appends.ok) return true;
    await sleep(20);
  }
  return false;
}

/** Waits until `value()` has not changed for `stillMs` (or the deadline). */
async function quiet(value: () => number, stillMs: number, deadline: number): Promise<void> {
  let last = value();
  let stillSince = Date.now();
  while (Date.now() < deadline && Date.now() - stillSince < stillMs) {
    await sleep(20);
    const now = value();
    if (now !== last) {
      last = now;
      stillSince = Date.now();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
