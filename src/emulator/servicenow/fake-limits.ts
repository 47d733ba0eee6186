import type { Clock } from '../../core/clock.ts';
import { FakeHttpError } from './fake-http.ts';
import type { ServiceNowFault, ServiceNowFakeOptions } from './fake-options.ts';

/** What to do with a request after faults were considered. */
export type FaultAction =
  | { kind: 'none' }
  | { kind: 'drop' }
  | { kind: 'html-503'; retryAfterS: number }
  | { kind: 'error'; error: FakeHttpError };

const MAINTENANCE_PAGE = `<!DOCTYPE html>
<html><head><title>Instance Unavailable</title></head>
<body><h1>Instance Unavailable</h1>
<p>This instance is currently undergoing maintenance. Please try again later.</p></body></html>`;

export function maintenancePage(): string {
  return MAINTENANCE_PAGE;
}

/** Queued faults: each request to `/api/*` consumes one from the head of the queue. */
export class FaultQueue {
  private readonly queue: Array<Required<Pick<ServiceNowFault, 'kind' | 'retryAfterS'>> & { remaining: number }> = [];

  constructor(initial: readonly ServiceNowFault[] = []) {
    for (const fault of initial) this.add(fault);
  }

  add(fault: ServiceNowFault): void {
    this.queue.push({ kind: fault.kind, retryAfterS: fault.retryAfterS ?? 1, remaining: fault.count ?? 1 });
  }

  next(nowMs: number): FaultAction {
    const head = this.queue[0];
    if (!head) return { kind: 'none' };
    if (--head.remaining <= 0) this.queue.shift();
    switch (head.kind) {
      case 'down':
        return { kind: 'drop' };
      case 'html-503':
        return { kind: 'html-503', retryAfterS: head.retryAfterS };
      case 'server-error':
        return { kind: 'error', error: new FakeHttpError(500, 'Internal Server Error', 'Injected fault') };
      case 'forbidden':
        return {
          kind: 'error',
          error: new FakeHttpError(403, 'Operation Failed', 'ACL Exception Insert Failed due to security constraints'),
        };
      case 'rate-limit':
        return { kind: 'error', error: rateLimitError(head.retryAfterS, 1000, nowMs, 'REST API') };
    }
  }
}

/** A fixed-window, per-user request limit, like a `sys_rate_limit_rules` rule. */
export class RateLimiter {
  private windowStart = 0;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly limit: ServiceNowFakeOptions['rateLimit'],
    private readonly clock: Clock,
  ) {}

  /** Counts a request; throws the documented 429 when the user is over the limit. Returns headers to add. */
  check(user: string, api: string): Record<string, string> {
    if (!this.limit) return {};
    const { perWindow, windowMs } = this.limit;
    const now = this.clock.now();
    const start = Math.floor(now / windowMs) * windowMs;
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.counts.clear();
    }
    const count = (this.counts.get(user) ?? 0) + 1;
    this.counts.set(user, count);
    const resetAt = start + windowMs;
    if (count > perWindow) {
      throw rateLimitError(Math.max(1, Math.ceil((resetAt - now) / 1000)), perWindow, now, api, resetAt);
    }
    return rateHeaders(perWindow, resetAt);
  }
}

function rateHeaders(limit: number, resetAt: number): Record<string, string> {
  return {
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
    'x-ratelimit-rule': 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  };
}

function rateLimitError(
  retryAfterS: number,
  limit: number,
  nowMs: number,
  api: string,
  resetAt?: number,
): FakeHttpError {
  return new FakeHttpError(429, 'Rate limit exceeded', `Rate limit of ${limit} requests per hour for ${api} exceeded`, {
    ...rateHeaders(limit, resetAt ?? nowMs + retryAfterS * 1000),
    'retry-after': String(retryAfterS),
  });
}
