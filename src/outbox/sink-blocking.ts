import type { DeliveryOutcome } from '../sinks/sink.ts';

/** Why a sink is blocked and since when (epoch ms). */
export interface SinkBlock {
  reason: string;
  since: number;
}

export type BlockChange = { to: 'blocked'; reason: string } | { to: 'unblocked' } | undefined;

/**
 * Whether one sink is blocked by its configuration or credentials, from the outcomes of its batches. A batch with
 * any 'blocked' outcome blocks it; only an answer about the events themselves (delivered or permanent) unblocks
 * it. A batch of retryable outcomes (network down, 503) leaves the state as it was: it says nothing about the
 * credentials. `update` reports transitions only, so hooks fire once per block, not once per batch.
 */
export class SinkBlocking {
  private block: SinkBlock | undefined;

  get current(): SinkBlock | undefined {
    return this.block;
  }

  update(outcomes: readonly DeliveryOutcome[], nowMs: number): BlockChange {
    const blocked = outcomes.find((o) => o.kind === 'blocked');
    if (blocked) {
      const wasBlocked = this.block !== undefined;
      // The latest reason is kept (the operator may have fixed one thing and broken another), the start is not.
      this.block = { reason: blocked.error, since: this.block?.since ?? nowMs };
      return wasBlocked ? undefined : { to: 'blocked', reason: blocked.error };
    }
    if (this.block && outcomes.some((o) => o.kind === 'delivered' || o.kind === 'permanent')) {
      this.block = undefined;
      return { to: 'unblocked' };
    }
    return undefined;
  }
}
