import type { LeaseStore } from '../../coordination/index.ts';
import { sleepWith, type Clock } from '../../core/clock.ts';

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
