import type { AccessToken, TokenProvider, TokenRequest } from '../auth/token-provider.ts';
import { AuthError, errorMessage, RelayError } from '../core/errors.ts';

/**
 * A token the application holds: a bare access token, or one with its expiry (epoch ms), e.g. from an
 * implicit-grant or PKCE redirect (`expires_in` seconds after it was issued).
 */
export type SuppliedToken = string | { accessToken: string; expiresAt?: number };

/** Why the client asks: `rejected` after Genesys refused the last token (401, token-bound channel ended). */
export interface TokenSupplyRequest {
  rejected: boolean;
  /** The token must outlive this instant (a rollover ahead of the old channel's token expiry). */
  mustOutlive?: number;
}

export type TokenSupplier = (request: TokenSupplyRequest) => Promise<SuppliedToken>;

/**
 * Expiry of a token supplied without one. Far enough that it never schedules a token-bound rollover (channels
 * still roll over before their own 24 h expiry), small enough for any arithmetic on it.
 */
const UNKNOWN_EXPIRY = Number.MAX_SAFE_INTEGER;

/**
 * The TokenProvider over an application's token supplier: the page owns login (implicit grant or PKCE; a client
 * secret never reaches a browser), this asks it for a token when it has none. A token Genesys refused (401, a
 * revoked token's channel) is invalidated exactly as the Node provider's is, and the next call asks the supplier
 * again with `rejected: true`. One request in flight is shared by every caller.
 */
export class SuppliedTokenProvider implements TokenProvider {
  private current: AccessToken | undefined;
  private rejected = false;
  private inflight: Promise<AccessToken> | undefined;

  constructor(private readonly supply: TokenSupplier) {}

  async getToken(signal?: AbortSignal, request: TokenRequest = {}): Promise<AccessToken> {
    signal?.throwIfAborted();
    const cur = this.current;
    const outlives = request.mustOutlive === undefined || (cur !== undefined && cur.expiresAt > request.mustOutlive);
    if (cur && outlives) return cur;
    this.inflight ??= this.ask(request).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  invalidate(token: AccessToken): void {
    if (this.current?.value !== token.value) return;
    this.current = undefined;
    this.rejected = true;
  }

  private async ask(request: TokenRequest): Promise<AccessToken> {
    const supplyRequest: TokenSupplyRequest = {
      rejected: this.rejected,
      ...(request.mustOutlive === undefined ? {} : { mustOutlive: request.mustOutlive }),
    };
    let supplied: SuppliedToken;
    try {
      supplied = await this.supply(supplyRequest);
    } catch (err) {
      if (err instanceof RelayError) throw err;
      // The application could not produce a token (login needed, network): retried with backoff by the session.
      throw new AuthError(`the token supplier failed: ${errorMessage(err)}`, { retryable: true, cause: err });
    }
    const token = toAccessToken(supplied);
    this.current = token;
    this.rejected = false;
    return token;
  }
}

function toAccessToken(supplied: SuppliedToken): AccessToken {
  const value = typeof supplied === 'string' ? supplied : supplied.accessToken;
  if (typeof value !== 'string' || value === '') {
    throw new AuthError('the token supplier returned no access token', { retryable: true });
  }
  const expiresAt = typeof supplied === 'string' ? undefined : supplied.expiresAt;
  return { value, expiresAt: expiresAt ?? UNKNOWN_EXPIRY };
}
