import type { Clock } from '../core/clock.ts';
import type { Logger } from './logger.ts';

/** How often a failure that keeps being retried is logged again. @default 30000 */
export const RETRY_WARNING_EVERY_MS = 30_000;

export interface RetryFailure {
  /** e.g. `delivery.retry`, `token.retry`: the `event` field of the log line. */
  event: string;
  /** Fields of the line (sink, status, nextAttemptAt, error…); secret-free. */
  fields: Record<string, unknown>;
  message: string;
  /** Failures this report stands for (events of a batch). @default 1 */
  count?: number;
}

interface KeyState {
  failures: number;
  since: number;
  lastWarnAt: number;
  /** Failures since the last warn line. */
  unreported: number;
}

/**
 * Makes retried failures visible without flooding the log: the first failure of a key (a sink, the login host) is
 * a warn line at once; while it keeps failing, one more warn line at most every `everyMs`, counting the failures in
 * between; when it works again, one info line saying after how many failures. Without this, a webhook answering 503
 * or an unreachable NATS was retried silently (at info) until events dead-lettered.
 */
export class RetryWarnings {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly everyMs: number = RETRY_WARNING_EVERY_MS,
  ) {}

  failed(key: string, failure: RetryFailure): void {
    const now = this.clock.now();
    const count = failure.count ?? 1;
    const state = this.keys.get(key) ?? { failures: 0, since: now, lastWarnAt: -Infinity, unreported: 0 };
    this.keys.set(key, state);
    state.failures += count;
    state.unreported += count;
    if (now - state.lastWarnAt < this.everyMs) return;
    const first = state.lastWarnAt === -Infinity;
    const repeated = first ? {} : { failuresSinceLastWarning: state.unreported, failingForMs: now - state.since };
    this.logger.warn({ audit: true, event: failure.event, ...failure.fields, ...repeated }, failure.message);
    state.lastWarnAt = now;
    state.unreported = 0;
  }

  /** The key works again: one info line if it had failed, then forget it. */
  recovered(key: string, event: string, fields: Record<string, unknown>, message: string): void {
    const state = this.keys.get(key);
    if (!state) return;
    this.keys.delete(key);
    const failingForMs = this.clock.now() - state.since;
    this.logger.info(
      { audit: true, event, ...fields, failures: state.failures, failingForMs },
      `${message} after ${state.failures} failed attempt(s)`,
    );
  }
}

/** `HTTP 503` / `failed with 503` → 503, for the `status` field of a retry line; undefined for network errors. */
export function httpStatusOf(error: string): number | undefined {
  const match = /\b(?:HTTP|failed with) (\d{3})\b/.exec(error);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
