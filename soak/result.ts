import { availableParallelism, loadavg } from 'node:os';
import type { ClientCounters } from '../src/client/index.ts';
import type { Counters } from '../src/emulator/index.ts';
import type { FaultRecord } from './fault-scheduler.ts';
import type { SoakRun } from './harness.ts';
import { analyseLoss, LOST_IN_GAP, type LossReport } from './loss-analysis.ts';
import { analyseHealing, type HealingReport } from './healing.ts';
import type { ResyncSummary } from './resync-log.ts';
import type { CoordinationResult } from './coordination.ts';
import type { ObservedGap } from './observer.ts';
import type { Sample } from './sampler.ts';
import type { BlockedSpan, StorageWindow } from './storage-faults.ts';
import type { SinkOutage } from './sink-outages.ts';
import { attributeGaps, type AttributedGap } from './gap-attribution.ts';
import { evaluateChecks, type Check } from './checks.ts';
import { percentile, slope, summarize, type Summary } from './stats.ts';

/** Everything the report shows; JSON-serialisable (latest.json). */
export interface SoakResult {
  parameters: {
    seed: number;
    durationS: number;
    ratePerSecond: number;
    topics: number;
    maxTopicsPerChannel: number;
    heartbeatMs: number;
    socketClosingLeadMs: number;
    channelTtlMs: number;
    tokenTtlS: number;
    meanFaultIntervalMs: number;
    meanSinkOutageIntervalMs: number;
    inFlightToleranceMs: number;
    node: string;
    /** The machine: CPUs and the 1-minute load average at the end (other work competes for the event loop). */
    cpus: number;
    loadAverage: number;
  };
  startedAt: string;
  loadS: number;
  drained: boolean;
  loss: LossReport;
  /** Gap healing: entities that lost events in gaps and whether the sink ended with their final state. */
  healing: HealingReport;
  resync: ResyncSummary & { eventsDelivered: number };
  appends: { ok: number; duplicate: number; failed: number };
  client: ClientCounters;
  emulator: Counters & { channelsAtEnd: number };
  faults: FaultRecord[];
  recoveryByFault: Record<string, Summary & { injected: number; unrecovered: number }>;
  gaps: AttributedGap[];
  gapDurations: Summary;
  rolloversByReason: Record<string, number>;
  warnedClosing: { injected: number; rolledOver: number; lostInWindows: number };
  storage: StorageReport;
  memory: { startMb: number; maxMb: number; endMb: number; slopeMbPerMin: number; secondHalfSlopeMbPerMin: number };
  outbox: { maxPending: number; endPending: number };
  sinkOutages: SinkOutage[];
  /** Sink outages and what the dispatcher did about them. */
  sink: { outages: number; outageMs: number; refusedBatches: number; retried: number; deadLettered: number };
  /** Longest event-loop stall in any one-second sample, and the p99 of those per-second maxima. */
  loopDelay: { maxMs: number; p99Ms: number };
  samples: Sample[];
  checks: Check[];
  passed: boolean;
  /** The coordination scenario, when it ran in the same `npm run soak`. */
  coordination?: CoordinationResult;
}

/** Storage faults on the outbox (disk full, held write lock) and what they cost. */
export interface StorageReport {
  /** Size of the outbox's tmpfs, or why there was none (then no disk-full windows). */
  tmpfsMb: number | undefined;
  unavailable: string | undefined;
  windows: StorageWindow[];
  /** Spans during which the outbox's commits failed (held in memory, retried; reading paused at the backlog limit). */
  blocked: BlockedSpan[];
  blockedMs: number;
  commitFailures: number;
  /** Events published in a window (or its settle time) and lost outside any gap an injected socket fault caused. */
  lostInWindows: number;
  /** Gaps no socket fault explains that began inside a storage window. */
  gapsInWindows: number;
}

/** After a storage fault is lifted, the retried commit and the resumed reading still belong to it. */
const STORAGE_SETTLE_MS = 2_000;

export function buildResult(run: SoakRun): SoakResult {
  const { options, scheduler, pipeline } = run;
  const faults = scheduler.records;
  const warned = faults.filter((f) => f.name === 'socket-closing');
  const gaps = attributeGaps(pipeline.observer.gaps, faults, options.inFlightToleranceMs);
  const lostInGap = new Map<string, number>();
  const loss = lossOf(run, warned, gaps, (topic, sequence) => {
    const entity = pipeline.entities.entityAt(topic, sequence);
    if (entity !== undefined) lostInGap.set(entity, (lostInGap.get(entity) ?? 0) + 1);
  });
  const storageLoss = loss.lossInWindows.slice(warned.length);
  const partial = {
    parameters: parameters(run),
    startedAt: new Date(run.startedAt).toISOString(),
    loadS: (run.loadStoppedAt - run.startedAt) / 1000,
    drained: run.drained,
    loss,
    healing: analyseHealing(pipeline.entities.fates(lostInGap), {
      hasStrategy: (topic) => pipeline.entities.hasStrategy(topic),
      failedTopics: pipeline.resyncLog.failedTopics(),
    }),
    resync: { ...pipeline.resyncLog.summary(run.resyncPendingAtEnd), eventsDelivered: pipeline.sink.resyncDelivered },
    appends: { ok: pipeline.appends.ok, duplicate: pipeline.appends.duplicate, failed: pipeline.appends.failed },
    client: run.clientCounters,
    emulator: { ...run.emulatorState.counters, channelsAtEnd: run.emulatorState.channels.length },
    faults,
    recoveryByFault: recoveryByFault(faults),
    gaps,
    gapDurations: summarize(gaps.map((g) => g.durationMs)),
    rolloversByReason: countBy(pipeline.observer.rollovers.map((r) => r.reason)),
    warnedClosing: {
      injected: warned.length,
      rolledOver: warned.filter((f) => f.effectAt !== undefined).length,
      lostInWindows: loss.lossInWindows.slice(0, warned.length).reduce((a, b) => a + b, 0),
    },
    storage: storageReport(
      run,
      gaps,
      storageLoss.reduce((a, b) => a + b, 0),
    ),
    ...resources(run),
    samples: run.sampler.samples,
  };
  const checks = evaluateChecks(partial);
  return { ...partial, checks, passed: checks.every((c) => c.ok) };
}

/** Memory, backlog, sink outages and event-loop stalls. */
function resources(run: SoakRun): Pick<SoakResult, 'memory' | 'outbox' | 'sinkOutages' | 'sink' | 'loopDelay'> {
  const samples = run.sampler.samples;
  const outages = run.outages.outages;
  const stalls = samples.map((s) => s.loopDelayMaxMs);
  return {
    memory: memory(samples),
    outbox: {
      maxPending: Math.max(0, ...samples.map((s) => s.outboxPending)),
      endPending: samples.at(-1)?.outboxPending ?? 0,
    },
    sinkOutages: outages,
    sink: {
      outages: outages.length,
      outageMs: outages.reduce((sum, o) => sum + o.durationMs, 0),
      refusedBatches: run.pipeline.sink.refusedBatches,
      retried: run.dispatcherCounters.retried,
      deadLettered: run.dispatcherCounters.deadLettered,
    },
    loopDelay: { maxMs: Math.max(0, ...stalls), p99Ms: percentile(stalls, 99) ?? 0 },
  };
}

function lossOf(
  run: SoakRun,
  warned: readonly FaultRecord[],
  attributed: readonly AttributedGap[],
  onLostInGap: (topic: string, sequence: number) => void,
): LossReport {
  const { options, pipeline, scheduler } = run;
  const observed = pipeline.observer.gaps;
  // Gaps another fault caused (same order as `attributed`): a loss inside one is that fault's, not the warning's.
  const gapsNotOf = (index: number): ObservedGap[] =>
    observed.filter((_, i) => {
      const cause = attributed[i]?.faultIndex;
      return cause !== undefined && cause !== index;
    });
  return analyseLoss(run.ledger, {
    gaps: pipeline.observer.gaps,
    rejectedAt: pipeline.observer.rejectedAt,
    inFlightToleranceMs: options.inFlightToleranceMs,
    onLost: (entry, cls) => LOST_IN_GAP.has(cls) && onLostInGap(entry.topic, entry.sequence),
    windows: [
      ...warned.map((f) => ({
        from: f.at,
        to: warnedWindowEnd(f, scheduler.records, options.socketClosingLeadMs),
        otherGaps: gapsNotOf(f.index),
      })),
      // Storage windows: a loss in a gap that a socket fault caused is that fault's; any other is the storage's.
      ...run.storage.faults.windows.map((w) => ({
        from: w.from,
        to: w.to + STORAGE_SETTLE_MS,
        otherGaps: gapsNotOf(-1),
      })),
    ],
  });
}

function storageReport(run: SoakRun, gaps: readonly AttributedGap[], lostInWindows: number): StorageReport {
  const { faults, tmpfsMb, unavailable } = run.storage;
  const now = run.endedAt;
  const inWindow = (at: number): boolean => faults.windows.some((w) => at >= w.from && at <= w.to + STORAGE_SETTLE_MS);
  return {
    tmpfsMb,
    unavailable,
    windows: faults.windows,
    blocked: faults.blocked,
    blockedMs: faults.blocked.reduce((sum, b) => sum + (b.to ?? now) - b.from, 0),
    commitFailures: faults.commitFailures,
    lostInWindows,
    gapsInWindows: gaps.filter((g) => g.faultIndex === undefined && inWindow(g.startAt)).length,
  };
}

/** The warned window runs from the warning to the server's close (lead), cut short by the next fault. */
function warnedWindowEnd(fault: FaultRecord, faults: readonly FaultRecord[], leadMs: number): number {
  const next = faults.find((f) => f.index === fault.index + 1);
  const end = Math.max(fault.at + leadMs, fault.recoveredAt ?? 0) + 100;
  return next ? Math.min(end, next.at) : end;
}

function parameters(run: SoakRun): SoakResult['parameters'] {
  const o = run.options;
  return {
    seed: o.seed,
    durationS: o.durationMs / 1000,
    ratePerSecond: o.ratePerSecond,
    topics: run.ledger.topics.length,
    maxTopicsPerChannel: o.maxTopicsPerChannel,
    heartbeatMs: o.heartbeatMs,
    socketClosingLeadMs: o.socketClosingLeadMs,
    channelTtlMs: o.channelTtlMs,
    tokenTtlS: o.tokenTtlS,
    meanFaultIntervalMs: o.meanFaultIntervalMs,
    meanSinkOutageIntervalMs: o.meanSinkOutageIntervalMs,
    inFlightToleranceMs: o.inFlightToleranceMs,
    node: process.version,
    cpus: availableParallelism(),
    loadAverage: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

function recoveryByFault(faults: readonly FaultRecord[]): SoakResult['recoveryByFault'] {
  const out: SoakResult['recoveryByFault'] = {};
  const names = [...new Set(faults.map((f) => f.name))].sort();
  for (const name of names) {
    const mine = faults.filter((f) => f.name === name);
    const times = mine.flatMap((f) => (f.recoveryMs === undefined ? [] : [f.recoveryMs]));
    out[name] = { ...summarize(times), injected: mine.length, unrecovered: mine.length - times.length };
  }
  return out;
}

function memory(samples: readonly Sample[]): SoakResult['memory'] {
  const points = samples.map((s) => ({ x: s.t / 60, y: s.rssMb }));
  const half = points.slice(Math.floor(points.length / 2));
  return {
    startMb: samples[0]?.rssMb ?? 0,
    maxMb: Math.max(0, ...samples.map((s) => s.rssMb)),
    endMb: samples.at(-1)?.rssMb ?? 0,
    slopeMbPerMin: slope(points),
    secondHalfSlopeMbPerMin: slope(half),
  };
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
