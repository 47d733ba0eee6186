import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShardCoordinator } from '../../../src/coordination/shard-coordinator.ts';
import { ShardLifecycle, type ShardRunner } from '../../../src/coordination/shard-lifecycle.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { InMemoryLeaseStore } from './in-memory-lease-store.ts';

const TTL = 15_000;

/** Records calls; `hold()` makes the next starts wait until `releaseStarts()`. */
class RecordingRunner implements ShardRunner {
  readonly calls: string[] = [];
  failStarts = false;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  releaseStarts(): void {
    this.open?.();
    this.gate = undefined;
  }
  async start(shard: string, epoch: number): Promise<void> {
    await this.gate;
    if (this.failStarts) throw new Error(`cannot start ${shard}`);
    this.calls.push(`start ${shard}@${epoch}`);
  }
  stop(shard: string, why: string): Promise<void> {
    this.calls.push(`stop ${shard} ${why}`);
    return Promise.resolve();
  }
}

function setup(shards = ['shard-0']) {
  const clock = new ManualClock();
  const store = new InMemoryLeaseStore(clock);
  const coordinator = new ShardCoordinator({ store, workerId: 'w', shards, leaseTtlMs: TTL, clock });
  const runner = new RecordingRunner();
  const errors: string[] = [];
  const lifecycle = new ShardLifecycle(coordinator, runner, (shard, err) => errors.push(`${shard}: ${String(err)}`));
  return { clock, store, coordinator, runner, lifecycle, errors };
}

describe('ShardLifecycle', () => {
  it('starts acquired shards with their epoch and stops them on close', async () => {
    const { coordinator, runner, lifecycle } = setup(['shard-0', 'shard-1']);
    await coordinator.start();
    await lifecycle.settled();
    assert.deepEqual(runner.calls, ['start shard-0@1', 'start shard-1@1']);
    assert.deepEqual(
      [...lifecycle.running()],
      [
        ['shard-0', 1],
        ['shard-1', 1],
      ],
    );
    await coordinator.close();
    await lifecycle.settled();
    assert.deepEqual(runner.calls.slice(2).sort(), ['stop shard-0 released', 'stop shard-1 released']);
    assert.equal(lifecycle.running().size, 0);
    lifecycle.dispose();
  });

  it('a stop waits for a slow start of the same shard, then a re-acquire starts with the new epoch', async () => {
    const { coordinator, runner, lifecycle, store, clock } = setup();
    runner.hold();
    await coordinator.start();
    // Another worker took the lease over (our renewals had failed): the shard is lost while start is still pending.
    const row = store.rows.get('shard-0');
    assert.ok(row);
    Object.assign(row, { owner: 'intruder', epoch: row.epoch + 1 });
    await clock.advanceAsync(TTL / 3);
    assert.deepEqual(runner.calls, [], 'nothing ran yet: stop is queued behind start');
    runner.releaseStarts();
    await lifecycle.settled();
    assert.deepEqual(runner.calls, ['start shard-0@1', 'stop shard-0 fenced']);
    Object.assign(row, { owner: undefined, expiresAt: undefined }); // the intruder released it
    await coordinator.tickNow();
    await lifecycle.settled();
    assert.deepEqual(runner.calls.at(-1), 'start shard-0@3');
    coordinator.destroy();
    lifecycle.dispose();
  });

  it('reports a failed start and does not count the shard as running', async () => {
    const { coordinator, runner, lifecycle, errors } = setup();
    runner.failStarts = true;
    await coordinator.start();
    await lifecycle.settled();
    assert.deepEqual(errors, ['shard-0: Error: cannot start shard-0']);
    assert.equal(lifecycle.running().size, 0);
    coordinator.destroy();
    lifecycle.dispose();
  });
});
