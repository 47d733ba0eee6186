import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { AccessToken, TokenProvider } from '../../auth/token-provider.ts';
import { parseRetryAfterMs } from '../../core/backoff.ts';
import type { Clock } from '../../core/clock.ts';
import { AuthError, NetworkError } from '../../core/errors.ts';
import { describeNetworkError } from '../http/classify.ts';
import { summarizeErrorBody } from '../http/error-body.ts';
import { sendHttp, type HttpResult } from '../http/http-request.ts';
import type { ServiceNowOAuthAuth } from './options.ts';

const TokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  token_type: z.string().optional(),
});

/** How long a rejected grant (400/401) is answered from memory before the token endpoint is asked again. */
export const REJECTION_COOLDOWN_MS = 30_000;

export interface ServiceNowOAuthOptions {
  auth: ServiceNowOAuthAuth;
  /** Pool connected to the instance origin. */
  dispatcher: Dispatcher;
  timeoutMs: number;
  /** Refresh this long before `expires_in` runs out (ServiceNow issues 1799 s tokens by default). */
  refreshSkewMs: number;
  clock: Clock;
}

/**
 * Access tokens from `POST {instance}/oauth_token.do` (form-encoded password or client_credentials grant).
 * Cached until `refreshSkewMs` before expiry; concurrent callers share one in-flight request (single flight).
 * Rejections (400/401) become non-retryable AuthErrors that name the options to check - never their values.
 */
export class ServiceNowOAuthTokenProvider implements TokenProvider {
  private cached: AccessToken | undefined;
  private inFlight: Promise<AccessToken> | undefined;
  private rejected: { error: AuthError; until: number } | undefined;

  constructor(private readonly options: ServiceNowOAuthOptions) {}

  getToken(): Promise<AccessToken> {
    const { clock, refreshSkewMs } = this.options;
    if (this.cached && clock.now() < this.cached.expiresAt - refreshSkewMs) return Promise.resolve(this.cached);
    // Rejected credentials stay rejected until someone fixes them; replaying the verdict for a while spares the
    // token endpoint (and the account lockout policy) one failed login per batch.
    if (this.rejected && clock.now() < this.rejected.until) return Promise.reject(this.rejected.error);
    // One request for everybody: the caller's signal is not passed on, the request has its own timeouts.
    this.inFlight ??= this.requestToken()
      .catch((err: unknown) => {
        if (err instanceof AuthError && !err.retryable) {
          this.rejected = { error: err, until: clock.now() + REJECTION_COOLDOWN_MS };
        }
        throw err;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  invalidate(token: AccessToken): void {
    if (this.cached?.value === token.value) this.cached = undefined;
  }

  private async requestToken(): Promise<AccessToken> {
    const { auth, dispatcher, timeoutMs, clock } = this.options;
    const form = new URLSearchParams({
      grant_type: auth.grant ?? 'password',
      client_id: auth.clientId,
      client_secret: auth.clientSecret,
    });
    if ((auth.grant ?? 'password') === 'password') {
      form.set('username', auth.username ?? '');
      form.set('password', auth.password ?? '');
    }
    let res: HttpResult;
    try {
      res = await sendHttp(dispatcher, {
        method: 'POST',
        path: '/oauth_token.do',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        timeoutMs,
      });
    } catch (err) {
      throw new NetworkError(`ServiceNow OAuth token request failed: ${describeNetworkError(err)}`);
    }
    if (res.status !== 200) throw this.rejection(res);
    const parsed = TokenResponse.safeParse(safeJson(res.body));
    if (!parsed.success) {
      throw new AuthError('ServiceNow OAuth token response has no access_token/expires_in', { retryable: true });
    }
    this.rejected = undefined;
    this.cached = { value: parsed.data.access_token, expiresAt: clock.now() + parsed.data.expires_in * 1000 };
    return this.cached;
  }

  private rejection(res: HttpResult): AuthError {
    const summary = summarizeErrorBody(res.body, res.headers['content-type']);
    const base = `ServiceNow OAuth token request: HTTP ${res.status}${summary === '' ? '' : ` ${summary}`}`;
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      const grant = this.options.auth.grant ?? 'password';
      const check =
        grant === 'password'
          ? 'check servicenow.auth clientId, clientSecret, username and password'
          : 'check servicenow.auth clientId and clientSecret, and that the client_credentials grant is enabled with an OAuth Application User';
      return new AuthError(`${base} (${check})`, { retryable: false });
    }
    const retryAfterMs = parseRetryAfterMs(res.headers['retry-after'], this.options.clock.now());
    return new AuthError(base, retryAfterMs === undefined ? { retryable: true } : { retryable: true, retryAfterMs });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
