import type { Gap } from '../src/client/index.ts';
import type { Ledger, LedgerEntry } from './ledger.ts';

/**
 * Why a published event was never delivered.
 * Explained (the real API behaves the same; genesys-api.md §5.2 "events generated are not queued or retried"):
 * - `no-socket`: the emulator wrote it to no socket, during one of the client's gaps for that topic;
 * - `dying-socket`: written to a socket that was dying (lost by the client within the gap or just before it began);
 * - `topic-rejected`: published after the server refused the topic (deny-topic fault) and the client reported it.
 * Unexplained (bugs):
 * - `not-sent-no-gap`: the emulator had no socket for it, yet the client recorded no gap then;
 * - `sent-not-received`: written to a live socket outside any gap, and never handed on by the client;
 * - `received-not-delivered`: handed on by the client, lost between the client and the sink (outbox, dispatcher).
 */
export type LossClass =
  'no-socket' | 'dying-socket' | 'topic-rejected' | 'not-sent-no-gap' | 'sent-not-received' | 'received-not-delivered';

export const EXPLAINED: ReadonlySet<LossClass> = new Set(['no-socket', 'dying-socket', 'topic-rejected']);

export interface LossSample {
  topic: string;
  sequence: number;
  publishedAt: number;
  cls: LossClass;
}

export interface LossReport {
  published: number;
  /** Events the client handed on (after de-duplication), counting each once. */
  received: number;
  delivered: number;
  lost: number;
  explained: number;
  unexplained: number;
  byClass: Record<LossClass, number>;
  /** Events the client handed on more than once (its rollover de-duplication failed). */
  receivedTwice: number;
  /** Events the sink received more than once. */
  duplicatesDelivered: number;
  /** Up to 20 unexplained losses, for the report. */
  unexplainedSamples: LossSample[];
  /**
   * Events published between `from` and `to` of each window (e.g. warned socket_closing) that never reached the
   * client, by window index.
   */
  lossInWindows: number[];
}

export interface LossContext {
  gaps: readonly Gap[];
  rejectedAt: ReadonlyMap<string, number>;
  inFlightToleranceMs: number;
  /**
   * Intervals to count losses in separately. A loss inside one of `otherGaps` (a gap another fault caused, e.g. an
   * expire-channel injected on a different channel while the warning was pending) belongs to that gap, not the window.
   */
  windows: readonly LossWindow[];
  /** Called for every lost event with its class (gap healing counts the entities that lost events in gaps). */
  onLost?: (entry: LedgerEntry, cls: LossClass) => void;
}

/** Losses a gap explains: the events Genesys never replays, which resync heals. */
export const LOST_IN_GAP: ReadonlySet<LossClass> = new Set(['no-socket', 'dying-socket']);

export interface LossWindow {
  from: number;
  to: number;
  otherGaps?: readonly Gap[];
}

export function analyseLoss(ledger: Ledger, ctx: LossContext): LossReport {
  const report = emptyReport(ctx.windows.length);
  const gapsByTopic = indexGaps(ctx.gaps);
  for (const entry of ledger.entries()) {
    report.published++;
    if (entry.received > 0) report.received++;
    if (entry.received > 1) report.receivedTwice++;
    if (entry.delivered > 1) report.duplicatesDelivered++;
    if (entry.delivered > 0) {
      report.delivered++;
      continue;
    }
    const cls = classify(entry, gapsByTopic.get(entry.topic.toLowerCase()) ?? [], ctx);
    report.lost++;
    report.byClass[cls]++;
    ctx.onLost?.(entry, cls);
    if (EXPLAINED.has(cls)) report.explained++;
    else {
      report.unexplained++;
      if (report.unexplainedSamples.length < 20) {
        report.unexplainedSamples.push({
          topic: entry.topic,
          sequence: entry.sequence,
          publishedAt: entry.publishedAt,
          cls,
        });
      }
    }
    // Windows watch the socket side (rollovers); losses after the client handed an event on are counted above.
    if (entry.received > 0) continue;
    ctx.windows.forEach((w, i) => {
      if (entry.publishedAt >= w.from && entry.publishedAt <= w.to && !inGapOf(entry, w.otherGaps ?? [], ctx)) {
        report.lossInWindows[i] = (report.lossInWindows[i] ?? 0) + 1;
      }
    });
  }
  return report;
}

export function classify(entry: LedgerEntry, gaps: readonly Gap[], ctx: LossContext): LossClass {
  if (entry.received > 0) return 'received-not-delivered';
  const at = entry.publishedAt;
  const inGap = gaps.some((g) => at >= g.startAt - ctx.inFlightToleranceMs && at <= g.endAt);
  if (inGap) return entry.sent ? 'dying-socket' : 'no-socket';
  const rejectedAt = ctx.rejectedAt.get(entry.topic.toLowerCase());
  if (rejectedAt !== undefined && at >= rejectedAt - ctx.inFlightToleranceMs) return 'topic-rejected';
  return entry.sent ? 'sent-not-received' : 'not-sent-no-gap';
}

/** The entry was published, within the in-flight tolerance, during one of `gaps` covering its topic. */
function inGapOf(entry: LedgerEntry, gaps: readonly Gap[], ctx: LossContext): boolean {
  const topic = entry.topic.toLowerCase();
  const at = entry.publishedAt;
  return gaps.some(
    (g) =>
      at >= g.startAt - ctx.inFlightToleranceMs && at <= g.endAt && g.topics.some((t) => t.toLowerCase() === topic),
  );
}

function indexGaps(gaps: readonly Gap[]): Map<string, Gap[]> {
  const byTopic = new Map<string, Gap[]>();
  for (const gap of gaps) {
    for (const topic of gap.topics) {
      const key = topic.toLowerCase();
      const list = byTopic.get(key) ?? [];
      list.push(gap);
      byTopic.set(key, list);
    }
  }
  return byTopic;
}

function emptyReport(windows: number): LossReport {
  return {
    published: 0,
    received: 0,
    delivered: 0,
    lost: 0,
    explained: 0,
    unexplained: 0,
    byClass: {
      'no-socket': 0,
      'dying-socket': 0,
      'topic-rejected': 0,
      'not-sent-no-gap': 0,
      'sent-not-received': 0,
      'received-not-delivered': 0,
    },
    receivedTwice: 0,
    duplicatesDelivered: 0,
    unexplainedSamples: [],
    lossInWindows: new Array<number>(windows).fill(0),
  };
}
