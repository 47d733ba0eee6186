import { setTimeout as sleep } from 'node:timers/promises';
import { AUTH, event, streamFixture } from './helpers.ts';
import { SseReader } from './sse-reader.ts';

export interface ResumeScenario {
  ratePerSecond: number;
  /** Connected before the drop. */
  beforeMs: number;
  /** Disconnected. */
  offMs: number;
  /** Publishing goes on this long after the reconnect. */
  afterMs: number;
}

export interface ResumeResult {
  published: number;
  /** Events the client saw before the drop and after the resume. */
  received: number;
  missing: number;
  repeated: number;
  /** Events published while the client was away. */
  publishedWhileAway: number;
  /** From the reconnect until the resumed stream had delivered everything committed at that moment. */
  catchUpMs: number;
}

/**
 * A stream client that drops for `offMs` while events are committed at `ratePerSecond`, then reconnects with its
 * Last-Event-ID: the test (scaled down) and bench/stream.ts (10 s at 1,000/s) run this.
 */
export async function runResumeScenario(s: ResumeScenario): Promise<ResumeResult> {
  const f = await streamFixture({ heartbeatMs: 1_000 });
  try {
    // Connected first: a fresh client starts at the newest event, so everything published after is expected.
    const first = await SseReader.open(f.url(), AUTH);
    const publisher = publish(f.outbox, s.ratePerSecond);
    await sleep(s.beforeMs);
    first.close();
    const lastSeen = first.lastEventId ?? '0';
    const atDrop = f.outbox.stats().lastSeq;
    await sleep(s.offMs);
    const atReconnect = f.outbox.stats().lastSeq;
    const reconnectAt = Date.now();
    const second = await SseReader.open(f.url(), { ...AUTH, 'Last-Event-ID': lastSeen });
    await second.waitFor((r) => r.seqs().some((seq) => seq >= atReconnect), 'caught up', 60_000);
    const catchUpMs = Date.now() - reconnectAt;
    await sleep(s.afterMs);
    const published = await publisher.stop();
    await second.waitFor((r) => r.seqs().includes(published), 'the last published event', 60_000);
    second.close();
    const seen = [...first.seqs(), ...second.seqs()];
    const distinct = new Set(seen);
    let missing = 0;
    for (let seq = 1; seq <= published; seq++) if (!distinct.has(seq)) missing++;
    return {
      published,
      received: seen.length,
      missing,
      repeated: seen.length - distinct.size,
      publishedWhileAway: atReconnect - atDrop,
      catchUpMs,
    };
  } finally {
    await f.close();
  }
}

/** Appends at `ratePerSecond` (paced against the wall clock, in 10 ms steps) until stopped; returns the count. */
function publish(
  outbox: Awaited<ReturnType<typeof streamFixture>>['outbox'],
  ratePerSecond: number,
): { stop: () => Promise<number> } {
  let stopped = false;
  let count = 0;
  const started = Date.now();
  const loop = (async () => {
    while (!stopped) {
      const due = Math.floor(((Date.now() - started) * ratePerSecond) / 1_000);
      const batch: Array<Promise<unknown>> = [];
      while (count < due) batch.push(outbox.append(event(count++)));
      await Promise.all(batch);
      await sleep(10);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return count;
    },
  };
}
