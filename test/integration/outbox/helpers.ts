import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RelayEvent } from '../../../src/envelope/envelope.ts';
import type { BatchOutcome, DeliveryOutcome, Sink } from '../../../src/sinks/sink.ts';

/** A fresh directory under the OS temp dir, and its cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-outbox-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A notification with a distinct key; `bodyBytes` pads the body (benchmarks use 1 KB events). */
export function makeEvent(i: number, bodyBytes = 0, receivedAt = new Date().toISOString()): RelayEvent {
  return {
    topicName: `v2.users.u${i % 7}.presence`,
    version: '2',
    eventBody: { n: i, pad: 'x'.repeat(bodyBytes) },
    metadata: { CorrelationId: `c-${i}` },
    relay: { receivedAt, channelId: 'ch-1', key: `key-${String(i).padStart(8, '0')}` },
  };
}

/**
 * A sink that records what it was given and answers with `respond` (delivered by default). Each `deliver` call is
 * one entry of `calls`, with the time it was made.
 */
export class RecordingSink implements Sink {
  readonly calls: { at: number; keys: string[] }[] = [];
  readonly delivered: string[] = [];
  respond: (event: RelayEvent, call: number) => DeliveryOutcome | 'throw' = () => ({ kind: 'delivered' });

  constructor(
    readonly name = 'rec',
    readonly maxBatch = 100,
    private readonly now: () => number = Date.now,
  ) {}

  deliver(events: readonly RelayEvent[]): Promise<BatchOutcome> {
    const call = this.calls.length;
    this.calls.push({ at: this.now(), keys: events.map((e) => e.relay.key) });
    const outcomes: BatchOutcome = [];
    for (const event of events) {
      const outcome = this.respond(event, call);
      if (outcome === 'throw') return Promise.reject(new Error('sink exploded'));
      if (outcome.kind === 'delivered') this.delivered.push(event.relay.key);
      outcomes.push(outcome);
    }
    return Promise.resolve(outcomes);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Polls `condition` every few ms until it holds, or fails after `timeoutMs` with `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function keys(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => makeEvent(from + i).relay.key);
}
