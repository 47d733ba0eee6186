import type { LeaseStore } from '../../coordination/index.ts';
import { sleepWith, type Clock } from '../../core/clock.ts';
import type { Logger } from '../../logging/logger.ts';

export interface SuccessorWait {
  store: LeaseStore;
  shard: string;
  /** Our (ended) tenure; a successor holds a later one. */
  epoch: number;
  workerId: string;
  clock: Clock;
  /** Give up waiting for another owner to take the lease after this long. */
  acquireTimeoutMs: number;
  /** Once another owner holds the lease, give up waiting for it to report its socket open after this long. */
  connectTimeoutMs: number;
  /** @default 100 */
  pollMs?: number;
}

/** How a handover ended: the successor connected, it took the lease but never said it connected, or nobody took it. */
export type HandoverOutcome = 'connected' | 'not-connected' | 'no-successor';

/**
 * Make-before-break for a shard this worker stops reading (SIGTERM, rebalance, or fenced after a coordination
 * outage): keeps the socket open until another worker holds the lease AND has reported its socket open
 * (LeaseStore.markConnected), so a rolling restart loses no event however slowly the successor connects; the
 * overlap's copies share `relay.key`, and the sinks keep one. Both waits are bounded; store errors count as "not yet".
 */
export async function awaitSuccessor(wait: SuccessorWait): Promise<HandoverOutcome> {
  let acquireBy = wait.clock.now() + wait.acquireTimeoutMs;
  let connectBy: number | undefined;
  for (;;) {
    const leases = await wait.store.list().catch(() => []);
    const successor = leases.find(
      (l) => l.shard === wait.shard && l.live && l.owner !== wait.workerId && l.epoch > wait.epoch,
    );
    if (successor?.connected) return 'connected';
    const now = wait.clock.now();
    if (successor) {
      // From the first successor seen: one bound in all, even if the lease moves on before anyone connects.
      connectBy ??= now + wait.connectTimeoutMs;
      // A successor that gives the shard up again leaves the next one the usual time to acquire it.
      acquireBy = now + wait.acquireTimeoutMs;
    }
    if (connectBy !== undefined && now >= connectBy) return 'not-connected';
    if (!successor && now >= acquireBy) return connectBy === undefined ? 'no-successor' : 'not-connected';
    await sleepWith(wait.clock, wait.pollMs ?? 100);
  }
}

/** Extra wait for a successor beyond one renew interval (store latency, its start-up). */
const HANDOVER_SLACK_MS = 1_000;
/**
 * Upper bound on waiting for the successor's socket once it holds the lease (its channel, subscription and socket
 * are a few REST round trips, retried with backoff on errors). Past it the shard is closed anyway, with a warning.
 */
export const HANDOVER_CONNECT_TIMEOUT_MS = 30_000;

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
 * report its socket open (awaitSuccessor), at once if nobody else is alive to take a released shard. A fenced shard always has a holder, even when
 * our view of the live workers is stale (it was taken while we could not reach the store).
 */
export async function handOverShard(handover: ShardHandover): Promise<void> {
  const { store, shard, epoch, workerId, clock, logger, why } = handover;
  const others = handover.liveWorkers.filter((w) => w !== workerId);
  if (others.length === 0 && why === 'released') return;
  const startedAt = clock.now();
  const outcome = await awaitSuccessor({
    store,
    shard,
    epoch,
    workerId,
    clock,
    // The successor tries on its next round, at most one renew interval after our release.
    acquireTimeoutMs: handover.renewEveryMs + HANDOVER_SLACK_MS,
    connectTimeoutMs: HANDOVER_CONNECT_TIMEOUT_MS,
  });
  const fields = { shard, epoch, why, outcome, waitedMs: clock.now() - startedAt };
  if (outcome === 'not-connected') logger.warn(fields, 'shard closed before its successor reported a socket open');
  else logger.info(fields, 'shard handed over');
}
