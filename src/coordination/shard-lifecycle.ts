import type { LeaseTakeover } from './lease-store.ts';
import type { LossReason, ShardCoordinator } from './shard-coordinator.ts';

/** What the service does per shard: open/close that shard's channel and sockets. */
export interface ShardRunner {
  /**
   * Starts the shard's sessions; `epoch` is the tenure number to stamp on its events. `takeover` is set when the
   * previous holder's lease expired (see LeaseTakeover): the shard had no reader since its last renewal.
   */
  start(shard: string, epoch: number, takeover?: LeaseTakeover): Promise<void>;
  /** Stops them at once (no drain needed: the events already read are in the outbox). */
  stop(shard: string, why: LossReason | 'released'): Promise<void>;
}

/**
 * Connects ShardCoordinator's events to a ShardRunner. Events are synchronous, but starting and stopping sessions
 * is not, so each shard gets its own queue: a stop always completes before the same shard starts again (lost at
 * epoch 4, re-acquired at epoch 5), while different shards proceed independently. Failures go to `onError`; the
 * coordinator keeps the lease (the session layer retries its own connects).
 */
export class ShardLifecycle {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly runningShards = new Map<string, number>();
  private readonly onAcquired = (shard: string, epoch: number, takeover?: LeaseTakeover): void => {
    this.enqueue(shard, async () => {
      // Without a takeover the runner is called exactly as before (two arguments).
      await (takeover ? this.runner.start(shard, epoch, takeover) : this.runner.start(shard, epoch));
      this.runningShards.set(shard, epoch);
    });
  };
  private readonly onLost = (shard: string, reason: LossReason): void => this.stopLater(shard, reason);
  private readonly onReleased = (shard: string): void => this.stopLater(shard, 'released');

  constructor(
    private readonly coordinator: ShardCoordinator,
    private readonly runner: ShardRunner,
    private readonly onError: (shard: string, err: unknown) => void = () => undefined,
  ) {
    coordinator.on('acquired', this.onAcquired);
    coordinator.on('lost', this.onLost);
    coordinator.on('released', this.onReleased);
  }

  /** Shards whose `start` has completed and that have not been stopped since → epoch. */
  running(): ReadonlyMap<string, number> {
    return new Map(this.runningShards);
  }

  /** Resolves when every queued start/stop has finished. */
  async settled(): Promise<void> {
    while (this.queues.size > 0) await Promise.all(this.queues.values());
  }

  /** Stops listening (after `coordinator.close()`, whose `released` events still get queued). */
  dispose(): void {
    this.coordinator.off('acquired', this.onAcquired);
    this.coordinator.off('lost', this.onLost);
    this.coordinator.off('released', this.onReleased);
  }

  private stopLater(shard: string, why: LossReason | 'released'): void {
    this.enqueue(shard, async () => {
      this.runningShards.delete(shard);
      await this.runner.stop(shard, why);
    });
  }

  private enqueue(shard: string, step: () => Promise<void>): void {
    const previous = this.queues.get(shard) ?? Promise.resolve();
    const next = previous.then(step).catch((err: unknown) => {
      try {
        this.onError(shard, err);
      } catch {
        // A failing error handler must not break this shard's queue.
      }
    });
    this.queues.set(shard, next);
    void next.then(() => {
      if (this.queues.get(shard) === next) this.queues.delete(shard);
    });
  }
}
