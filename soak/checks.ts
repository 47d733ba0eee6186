import type { FaultRecord } from './fault-scheduler.ts';
import type { AttributedGap } from './gap-attribution.ts';
import type { LossReport } from './loss-analysis.ts';
import { healingLine, type HealingReport } from './healing.ts';

/** One pass/fail criterion of the soak. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CheckInput {
  drained: boolean;
  loss: LossReport;
  healing: HealingReport;
  appends: { failed: number };
  sink: { deadLettered: number };
  faults: readonly FaultRecord[];
  gaps: readonly AttributedGap[];
  warnedClosing: { injected: number; rolledOver: number; lostInWindows: number };
  storage: {
    windows: readonly { kind: string; from: number; to: number; error?: string }[];
    blockedMs: number;
    lostInWindows: number;
    gapsInWindows: number;
  };
}

/** The soak's acceptance criteria (issue 5). */
export function evaluateChecks(input: CheckInput): Check[] {
  const { loss, faults } = input;
  const unrecovered = faults.filter((f) => f.recoveredAt === undefined || f.error !== undefined);
  const unplanned = faults.filter((f) => isUnplannedLoss(f) && !input.gaps.some((g) => g.faultIndex === f.index));
  const [metPause, ungapped] = partition(unplanned, (f) => livenessFaultInStorageWindow(f, input.storage.windows));
  // Dead letters are among the received-but-not-delivered events (they wait in the outbox for `dlq retry`).
  const pipelineLoss = loss.byClass['received-not-delivered'] + input.appends.failed;
  return [
    { name: 'unexplained loss = 0', ok: loss.unexplained === 0, detail: `${loss.unexplained} of ${loss.lost} lost` },
    {
      name: 'duplicates delivered = 0',
      ok: loss.duplicatesDelivered === 0 && loss.receivedTwice === 0,
      detail: `${loss.duplicatesDelivered} delivered twice, ${loss.receivedTwice} handed on twice by the client`,
    },
    {
      name: 'every received event delivered',
      ok: pipelineLoss === 0 && input.drained,
      detail: `${pipelineLoss} received but not delivered (${input.sink.deadLettered} dead-lettered); drained: ${input.drained}`,
    },
    {
      name: '0 loss across warned socket_closing',
      ok: input.warnedClosing.lostInWindows === 0 && input.warnedClosing.rolledOver === input.warnedClosing.injected,
      detail: `${input.warnedClosing.rolledOver}/${input.warnedClosing.injected} rolled over, ${input.warnedClosing.lostInWindows} lost`,
    },
    storageCheck(input.storage),
    healingCheck(input.healing),
    {
      name: 'recovery after every fault',
      ok: unrecovered.length === 0,
      detail: unrecovered.length === 0 ? `${faults.length} faults` : `unrecovered: ${list(unrecovered)}`,
    },
    {
      name: 'a gap recorded for each unplanned socket loss',
      ok: ungapped.length === 0,
      detail:
        (ungapped.length === 0 ? 'all recorded' : `no gap after: ${list(ungapped)}`) +
        (metPause.length === 0 ? '' : `; socket kept (liveness fault during a storage fault): ${list(metPause)}`),
    },
  ];
}

/** Disk full and a held write lock are backpressure: no loss, no gap, every window really applied. */
function storageCheck(storage: CheckInput['storage']): Check {
  const failed = storage.windows.filter((w) => w.error !== undefined);
  const kinds = (kind: string): number => storage.windows.filter((w) => w.kind === kind).length;
  return {
    name: '0 loss and no gap from storage faults',
    ok: storage.lostInWindows === 0 && storage.gapsInWindows === 0 && failed.length === 0,
    detail:
      `${kinds('disk-full')} disk-full + ${kinds('write-lock')} write-lock windows, commits blocked ` +
      `${(storage.blockedMs / 1000).toFixed(1)} s, ${storage.lostInWindows} lost, ${storage.gapsInWindows} gaps` +
      (failed.length > 0 ? `, ${failed.length} not applied: ${failed.map((w) => w.error).join('; ')}` : ''),
  };
}

/** Issue 11: every entity that lost events in a gap ends with its final state, unless resync could not heal it. */
function healingCheck(h: HealingReport): Check {
  const explained = h.notHealed['no-strategy'] + h.notHealed['resync-failed'];
  return {
    name: 'gap losses healed by resync (or explained)',
    ok: h.notHealed.unexplained === 0,
    detail:
      `${healingLine(h)}; not healed: ${explained} explained (no strategy ${h.notHealed['no-strategy']}, ` +
      `resync gave up ${h.notHealed['resync-failed']}), ${h.notHealed.unexplained} unexplained`,
  };
}

/** A disruptive fault that reached a socket (the last spec is the one that hits sockets or channels). */
function isUnplannedLoss(fault: FaultRecord): boolean {
  return fault.effect === 'disruptive' && (fault.applied.at(-1) ?? 0) > 0;
}

/**
 * Liveness faults (pongs delayed or dropped, a silent socket) end a socket only through the client's own timers, and
 * the client suspends those while a storage fault makes it stop reading (backpressure, src/session/session.ts): the
 * socket then survives, nothing is lost (the loss checks still apply) and no gap is due.
 */
const LIVENESS_FAULTS = new Set(['pong-delay', 'pong-drop', 'zombie']);
const STORAGE_MARGIN_MS = 2_000;

function livenessFaultInStorageWindow(f: FaultRecord, windows: CheckInput['storage']['windows']): boolean {
  return (
    LIVENESS_FAULTS.has(f.name) &&
    windows.some((w) => f.at >= w.from - STORAGE_MARGIN_MS && f.at <= w.to + STORAGE_MARGIN_MS)
  );
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

function list(faults: readonly FaultRecord[]): string {
  return faults.map((f) => `#${f.index} ${f.name}`).join(', ');
}
