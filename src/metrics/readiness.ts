/** What /readyz needs to know about the relay, read from its live status. */
export interface ReadinessInput {
  /** Sockets currently open. */
  socketsOpen: number;
  /** Epoch ms of the last heartbeat or event on any open socket; undefined if none yet. */
  lastActivityAt: number | undefined;
  /** True once close() began: a draining relay should leave the load balancer. */
  closing?: boolean;
}

export type Readiness = { ready: true; reason: 'ok'; lastActivityAgeMs: number } | { ready: false; reason: string };

/**
 * Ready = a socket is open AND a heartbeat or event arrived within the liveness window (CONTRACT). An open
 * socket alone is not enough: a "zombie" socket stays open while the server has stopped talking.
 */
export function evaluateReadiness(input: ReadinessInput, nowMs: number, livenessWindowMs: number): Readiness {
  if (input.closing) return { ready: false, reason: 'relay is shutting down' };
  if (input.socketsOpen <= 0) return { ready: false, reason: 'no notification socket is open' };
  if (input.lastActivityAt === undefined) return { ready: false, reason: 'no heartbeat or event seen yet' };
  const ageMs = nowMs - input.lastActivityAt;
  if (ageMs > livenessWindowMs) {
    return { ready: false, reason: `no heartbeat or event for ${ageMs} ms (window ${livenessWindowMs} ms)` };
  }
  return { ready: true, reason: 'ok', lastActivityAgeMs: Math.max(0, ageMs) };
}
