import type { ShardStatus } from '../client/client-events.ts';

/** What /readyz needs to know about the relay, read from its live status. */
export interface ReadinessInput {
  /** Every shard this process holds (all of them, or a distributed worker's leased ones). */
  shards: ReadonlyArray<Pick<ShardStatus, 'shardId' | 'state' | 'lastFrameAt'>>;
  /** True once close() began: a draining relay should leave the load balancer. */
  closing?: boolean;
  /** A distributed worker that holds no shard (more workers than shards). Ready only if `coordination` vouches. */
  standby?: boolean;
  /** Distributed mode: what the lease table says, so a worker that reads nothing knows whether anyone else does. */
  coordination?: CoordinationReadiness;
  /**
   * Why outbox commits fail (SQLite's words), while they do: events are held in memory and reading pauses at the
   * backlog limit, so the relay is not doing its job even though its sockets are live.
   */
  outboxBlocked?: string | undefined;
}

/** The part of a distributed worker's coordination health that readiness needs. */
export interface CoordinationReadiness {
  /** The lease store fails: held shards are kept and read, but nobody can acquire, shed or confirm a lease. */
  degraded: boolean;
  /**
   * Shards that, by a lease-table read younger than the lease TTL, no live worker holds (this one's excluded).
   * Undefined when there is no such read (store unreachable): nobody knows whether those topics are read.
   */
  unheldShards: readonly string[] | undefined;
}

/** A shard that keeps the relay from being ready, named in the 503 body. */
export interface FailingShard {
  shardId: string;
  state: ShardStatus['state'];
  /** Age of the last frame on the shard's current socket; absent when it has no open socket. */
  lastFrameAgeMs?: number;
}

export type Readiness =
  | {
      ready: true;
      reason: 'ok';
      /** The oldest last frame among the held shards (the one closest to the window); 0 in standby. */
      lastActivityAgeMs: number;
      /** Distributed mode: `degraded` while the lease store fails (the held shards are still read). */
      coordination?: 'ok' | 'degraded';
    }
  | { ready: false; reason: string; failing?: FailingShard[] };

/**
 * Ready = EVERY held shard has an open socket whose last frame (heartbeat, pong or event) is within the liveness window
 * (CONTRACT: "a socket open and a heartbeat or event seen within the window", applied per shard). "Every", not "any":
 * each shard carries its own topics, so a relay that silently lost one of three shards is losing a third of the events
 * and an orchestrator must see that. The cost is that a shard's ordinary reconnect (a second or two) also reads as not
 * ready, so probes should allow a failure or two before acting (Kubernetes' default failureThreshold is 3).
 * An open socket alone is not enough: a "zombie" socket stays open while the server has stopped talking.
 */
export function evaluateReadiness(input: ReadinessInput, nowMs: number, livenessWindowMs: number): Readiness {
  if (input.outboxBlocked !== undefined && !input.closing) {
    return { ready: false, reason: `outbox: ${input.outboxBlocked}` };
  }
  const ready = readinessOfShards(input, nowMs, livenessWindowMs);
  if (!ready.ready || !input.coordination) return ready;
  return { ...ready, coordination: input.coordination.degraded ? 'degraded' : 'ok' };
}

function readinessOfShards(input: ReadinessInput, nowMs: number, livenessWindowMs: number): Readiness {
  if (input.closing) return { ready: false, reason: 'relay is shutting down' };
  if (input.standby) return standbyReadiness(input.coordination);
  if (input.shards.length === 0) return { ready: false, reason: 'no notification socket is open' };
  const failing: FailingShard[] = [];
  let oldestAgeMs = 0;
  for (const shard of input.shards) {
    const ageMs = shard.lastFrameAt === undefined ? undefined : Math.max(0, nowMs - shard.lastFrameAt);
    const open = shard.state === 'open' || shard.state === 'rollingOver';
    if (open && ageMs !== undefined && ageMs <= livenessWindowMs) {
      oldestAgeMs = Math.max(oldestAgeMs, ageMs);
      continue;
    }
    failing.push({
      shardId: shard.shardId,
      state: shard.state,
      ...(ageMs === undefined ? {} : { lastFrameAgeMs: ageMs }),
    });
  }
  if (failing.length === 0) return { ready: true, reason: 'ok', lastActivityAgeMs: oldestAgeMs };
  return { ready: false, reason: failureReason(failing, input.shards.length, livenessWindowMs), failing };
}

/**
 * A worker that reads nothing is ready only while the lease table, read recently, shows every shard held by a live
 * worker. Not when it holds none because the store is down (it cannot tell whether anyone reads those topics), and
 * not while some shard has no live holder (its topics are read by nobody until a worker acquires it).
 */
function standbyReadiness(coordination: CoordinationReadiness | undefined): Readiness {
  if (!coordination) return { ready: true, reason: 'ok', lastActivityAgeMs: 0 };
  const unheld = coordination.unheldShards;
  if (unheld === undefined || coordination.degraded) {
    return { ready: false, reason: 'standby: the lease store is unreachable, so nobody is known to hold the shards' };
  }
  if (unheld.length > 0) {
    return { ready: false, reason: `standby: ${unheld.length} shard(s) held by no live worker: ${unheld.join(', ')}` };
  }
  return { ready: true, reason: 'ok', lastActivityAgeMs: 0 };
}

function failureReason(failing: readonly FailingShard[], held: number, livenessWindowMs: number): string {
  const parts = failing.map((f) => {
    if (f.lastFrameAgeMs !== undefined) return `${f.shardId} silent for ${f.lastFrameAgeMs} ms (${f.state})`;
    return f.state === 'open' ? `${f.shardId} has read no frame yet` : `${f.shardId} has no open socket (${f.state})`;
  });
  return `${failing.length} of ${held} shards not live (window ${livenessWindowMs} ms): ${parts.join('; ')}`;
}
