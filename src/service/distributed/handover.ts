import type { LeaseStore } from '../../coordination/index.ts';
import { sleepWith, type Clock } from '../../core/clock.ts';
import type { Logger } from '../../logging/logger.ts';

export interface SuccessorWait {
  store: LeaseStore;
  shard: string;
  /** Our (released) tenure; a successor holds a later one. */
  epoch: number;
  workerId: string;
  clock: Clock;
  /** Give up waiting for another owner after this long. */
  timeoutMs: number;
  /** Once another owner holds the lease, time for it to open its channel and socket. */
  graceMs: number;
  /** @default 100 */
  pollMs?: number;
}

/**
 * Graceful handover (SIGTERM, rebalance on scale-out): a released shard keeps its socket open until another worker
 * holds the lease, plus `graceMs` for that worker to connect. Make-before-break on purpose, so a rolling restart
 * loses no event; the overlap's copies share `relay.key`, and the sinks keep one. Resolves true if a successor was
 * seen, false after `timeoutMs` (nobody took it, or the store is unreachable).
 */
export async function awaitSuccessor(wait: SuccessorWait): Promise<boolean> {
  const deadline = wait.clock.now() + wait.timeoutMs;
  while (wait.clock.now() < deadline) {
    const leases = await wait.store.list().catch(() => []);
    const taken = leases.some(
      (l) => l.shard === wait.shard && l.live && l.owner !== wait.workerId && l.epoch > wait.epoch,
    );
    if (taken) {
      await sleepWith(wait.clock, wait.graceMs);
      return true;
    }
    await sleepWith(wait.clock, wait.pollMs ?? 100);
  }
  return false;
}

/** Extra wait for a successor beyond one renew interval (store latency, its start-up). */
const HANDOVER_SLACK_MS = 1_000;
/** After the successor holds the lease: time for its channel, subscription and socket (a few REST round trips). */
export const HANDOVER_GRACE_MS = 1_500;

export interface ShardHandover {
  store: LeaseStore;
  shard: string;
  /** The tenure we are ending. */
  epoch: number;
  /** `released`: we gave it up (rebalance, SIGTERM). `fenced`: another worker acquired it after our renewals failed. */
  why: 'released' | 'fenced';
  workerId: string;
  /** As of the last heartbeat. */
  liveWorkers: readonly string[];
  renewEveryMs: number;
  clock: Clock;
  logger: Logger;
}

/**
 * Make-before-break for a shard this worker stops reading: waits (bounded) for another worker to hold the lease and
 * connect, at once if nobody else is alive to take a released shard. A fenced shard always has a holder, even when
 * our view of the live workers is stale (it was taken while we could not reach the store).
 */
export async function handOverShard(handover: ShardHandover): Promise<void> {
  const { store, shard, epoch, workerId, clock, logger, why } = handover;
  const others = handover.liveWorkers.filter((w) => w !== workerId);
  if (others.length === 0 && why === 'released') return;
  const startedAt = clock.now();
  const taken = await awaitSuccessor({
    store,
    shard,
    epoch,
    workerId,
    clock,
    // The successor tries on its next round, at most one renew interval after our release.
    timeoutMs: handover.renewEveryMs + HANDOVER_SLACK_MS,
    graceMs: HANDOVER_GRACE_MS,
  });
  logger.info({ shard, epoch, why, taken, waitedMs: clock.now() - startedAt }, 'shard handed over');
}
