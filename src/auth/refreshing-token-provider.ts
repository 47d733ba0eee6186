import { computeBackoffMs, type BackoffPolicy, type Random } from '../core/backoff.ts';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { AuthError, ClosedError, RelayError, TimeoutError, errorMessage } from '../core/errors.ts';
import type { HttpTransport } from '../genesys/http-transport.ts';
import { fetchClientCredentialsToken } from './client-credentials.ts';
import type { AccessToken, TokenProvider, TokenRequest } from './token-provider.ts';

/** Why a refresh ran; reported to `onRefresh` for metrics. */
export type RefreshReason = 'initial' | 'proactive' | 'expired' | 'invalidated';

export type TokenRefreshEvent =
  | { outcome: 'ok'; reason: RefreshReason; attempts: number; durationMs: number; expiresAt: number }
  | { outcome: 'error'; reason: RefreshReason; attempts: number; durationMs: number; error: RelayError };

export interface RefreshingTokenProviderOptions {
  /** Performs one token request; classifies failures as AuthError/NetworkError with `retryable`. */
  fetchToken: (signal: AbortSignal) => Promise<AccessToken>;
  /** @default systemClock */
  clock?: Clock;
  /**
   * Refresh this long before `expiresAt`.
   * @default min(60000, 10% of the token's lifetime). 60 s leaves room for several retried requests before a
   * 24 h Genesys token lapses; the 10% cap keeps short tokens (5 min minimum on Genesys, 1-2 s in tests) from
   * being refreshed continuously or before they were ever used.
   */
  refreshSkewMs?: number;
  /** Token requests per refresh before giving up on transient failures. @default 5 */
  maxAttempts?: number;
  /** Deadline for one refresh, all attempts and waits included. @default 30000 */
  refreshTimeoutMs?: number;
  /** Delays between transient failures (a server Retry-After wins). @default { baseMs: 500, maxMs: 10000, firstImmediate: false } */
  backoff?: BackoffPolicy;
  /** @default Math.random */
  random?: Random;
  /**
   * After a fatal AuthError (e.g. invalid_client), `getToken` fails fast with that same error for this long
   * instead of asking again, so a misconfigured relay does not hammer the login host. @default 60000
   */
  fatalCooldownMs?: number;
  /** Called after every refresh, successful or not (metrics). Must not throw. */
  onRefresh?: (event: TokenRefreshEvent) => void;
  /** Called before waiting to retry a failed token request (5xx, 429, network) within a refresh (logs). */
  onRetry?: (event: TokenRetryEvent) => void;
}

/** A token request failed transiently and will be tried again after `delayMs`. */
export interface TokenRetryEvent {
  reason: RefreshReason;
  /** Attempts so far in this refresh. */
  attempt: number;
  delayMs: number;
  error: RelayError;
}

export interface ClientCredentialsProviderOptions extends Omit<RefreshingTokenProviderOptions, 'fetchToken'> {
  loginBase: string;
  clientId: string;
  clientSecret: string;
  /** @default a short-lived undici transport per token request */
  transport?: HttpTransport;
}

interface CachedToken extends AccessToken {
  /** When this provider received it; lifetime = expiresAt - fetchedAt. */
  fetchedAt: number;
}

const defaultTokenBackoff: BackoffPolicy = { baseMs: 500, maxMs: 10_000, firstImmediate: false };

/**
 * Caches one bearer token, refreshes it proactively (a timer at `expiresAt - skew`) and on demand, and shares
 * each refresh among all concurrent callers (single flight). Transient failures are retried with backoff within
 * a deadline; a fatal AuthError goes to every waiter at once and is then replayed without new requests for
 * `fatalCooldownMs`.
 */
export class RefreshingTokenProvider implements TokenProvider {
  private readonly clock: Clock;
  private readonly opts: RefreshingTokenProviderOptions;
  private readonly closer = new AbortController();
  private current: CachedToken | undefined;
  private inflight: Promise<AccessToken> | undefined;
  private timer: TimerHandle | undefined;
  private fatal: { error: AuthError; until: number } | undefined;
  private invalidated = false;

  constructor(options: RefreshingTokenProviderOptions) {
    this.opts = options;
    this.clock = options.clock ?? systemClock;
  }

  /** A provider for the OAuth client-credentials grant (the relay's normal case). */
  static clientCredentials(options: ClientCredentialsProviderOptions): RefreshingTokenProvider {
    const { loginBase, clientId, clientSecret, transport, ...rest } = options;
    const clock = options.clock ?? systemClock;
    return new RefreshingTokenProvider({
      ...rest,
      clock,
      fetchToken: (signal) =>
        fetchClientCredentialsToken({
          loginBase,
          clientId,
          clientSecret,
          clock,
          signal,
          ...(transport ? { transport } : {}),
        }),
    });
  }

  async getToken(signal?: AbortSignal, request: TokenRequest = {}): Promise<AccessToken> {
    if (this.closer.signal.aborted) throw new ClosedError('token provider is closed');
    const now = this.clock.now();
    const cur = this.current;
    const outlives = cur === undefined || request.mustOutlive === undefined || cur.expiresAt > request.mustOutlive;
    // Still comfortably valid. A due refresh is the timer's job (including retries after a failed one), so
    // callers never trigger token requests of their own while a usable token exists, unless they need a token
    // that outlives the cached one (a channel rollover ahead of its token's expiry).
    if (cur && outlives && now < cur.expiresAt - this.skewOf(cur) / 4) return cur;
    if (this.fatal && this.inFatalCooldown(now)) throw this.fatal.error;
    const reason: RefreshReason = this.invalidated
      ? 'invalidated'
      : !cur
        ? 'initial'
        : outlives
          ? 'expired'
          : 'proactive';
    return raceAbort(this.refresh(reason), signal);
  }

  invalidate(token: AccessToken): void {
    // Only the rejected token is dropped: a newer one (fetched by another caller meanwhile) stays cached.
    if (this.current?.value !== token.value) return;
    this.current = undefined;
    this.invalidated = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The cached token, if any, without side effects (readiness checks). */
  peek(): AccessToken | undefined {
    return this.current ? { value: this.current.value, expiresAt: this.current.expiresAt } : undefined;
  }

  /** Cancels timers and any refresh in progress; later `getToken` calls reject with ClosedError. */
  close(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.closer.abort(new ClosedError('token provider is closed'));
  }

  private inFatalCooldown(now: number): boolean {
    return this.fatal !== undefined && now < this.fatal.until;
  }

  private skewOf(token: CachedToken): number {
    const lifetimeMs = Math.max(0, token.expiresAt - token.fetchedAt);
    return this.opts.refreshSkewMs ?? Math.min(60_000, lifetimeMs * 0.1);
  }

  private refresh(reason: RefreshReason): Promise<AccessToken> {
    if (!this.inflight) {
      const flight = this.runRefresh(reason);
      this.inflight = flight;
      // Clear the slot whatever the outcome; errors are handled by whoever awaits `flight`.
      flight.then(
        () => this.clearFlight(flight),
        () => this.clearFlight(flight),
      );
    }
    return this.inflight;
  }

  private clearFlight(flight: Promise<AccessToken>): void {
    if (this.inflight === flight) this.inflight = undefined;
  }

  private refreshInBackground(reason: RefreshReason): void {
    this.refresh(reason).catch(() => this.retryLater());
  }

  /** A failed proactive refresh while the old token is still valid: try again before it lapses. */
  private retryLater(): void {
    const cur = this.current;
    const now = this.clock.now();
    // After a fatal error the cooldown governs the next attempt; re-arming here would retry a bad secret.
    if (this.closer.signal.aborted || !cur || this.inFatalCooldown(now)) return;
    const delayMs = Math.max(100, (cur.expiresAt - now) / 3);
    if (now + delayMs >= cur.expiresAt) return;
    this.arm(delayMs, 'proactive');
  }

  private arm(delayMs: number, reason: RefreshReason): void {
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.refreshInBackground(reason);
    }, delayMs);
  }

  private async runRefresh(reason: RefreshReason): Promise<AccessToken> {
    const startedAt = this.clock.now();
    const deadlineAt = startedAt + (this.opts.refreshTimeoutMs ?? 30_000);
    const maxAttempts = Math.max(1, this.opts.maxAttempts ?? 5);
    for (let attempt = 0; ; attempt++) {
      try {
        const token = await this.attempt(deadlineAt);
        this.accept(token);
        this.report({
          outcome: 'ok',
          reason,
          attempts: attempt + 1,
          durationMs: this.clock.now() - startedAt,
          expiresAt: token.expiresAt,
        });
        return token;
      } catch (err) {
        const error = this.classify(err);
        const delayMs =
          error.retryAfterMs ?? computeBackoffMs(attempt, this.opts.backoff ?? defaultTokenBackoff, this.opts.random);
        const giveUp = !error.retryable || attempt + 1 >= maxAttempts || this.clock.now() + delayMs >= deadlineAt;
        if (giveUp) throw this.fail(error, reason, attempt + 1, startedAt);
        this.reportRetry({ reason, attempt: attempt + 1, delayMs, error });
        await this.clock.sleep(delayMs, this.closer.signal);
      }
    }
  }

  /** One token request bounded by the refresh deadline; aborted by the deadline or by close(). */
  private async attempt(deadlineAt: number): Promise<AccessToken> {
    if (this.closer.signal.aborted) throw new ClosedError('token provider is closed');
    const controller = new AbortController();
    const onClose = (): void => controller.abort(this.closer.signal.reason);
    this.closer.signal.addEventListener('abort', onClose, { once: true });
    const remainingMs = Math.max(0, deadlineAt - this.clock.now());
    const timer = this.clock.setTimeout(
      () => controller.abort(new TimeoutError(`token request did not finish within ${remainingMs} ms`)),
      remainingMs,
    );
    try {
      return await raceAbort(this.opts.fetchToken(controller.signal), controller.signal);
    } finally {
      this.clock.clearTimeout(timer);
      this.closer.signal.removeEventListener('abort', onClose);
    }
  }

  private accept(token: AccessToken): void {
    const cached: CachedToken = { ...token, fetchedAt: this.clock.now() };
    this.current = cached;
    this.fatal = undefined;
    this.invalidated = false;
    this.arm(Math.max(0, cached.expiresAt - this.skewOf(cached) - cached.fetchedAt), 'proactive');
  }

  private classify(err: unknown): RelayError {
    if (this.closer.signal.aborted) return new ClosedError('token provider is closed');
    if (err instanceof RelayError) return err;
    // An unclassified failure (a bug in a custom fetchToken, a DNS hiccup surfaced raw): worth one more try.
    return new AuthError(`token request failed: ${errorMessage(err)}`, { retryable: true, cause: err });
  }

  private fail(error: RelayError, reason: RefreshReason, attempts: number, startedAt: number): RelayError {
    if (error instanceof AuthError && !error.retryable) {
      this.fatal = { error, until: this.clock.now() + (this.opts.fatalCooldownMs ?? 60_000) };
    }
    this.report({ outcome: 'error', reason, attempts, durationMs: this.clock.now() - startedAt, error });
    return error;
  }

  private reportRetry(event: TokenRetryEvent): void {
    try {
      this.opts.onRetry?.(event);
    } catch {
      // A logging hook must not break token refresh.
    }
  }

  private report(event: TokenRefreshEvent): void {
    try {
      this.opts.onRefresh?.(event);
    } catch {
      // A metrics hook must never break authentication.
    }
  }
}

/** Resolves or rejects with `work`, or rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(reasonOf(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function reasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}
