/** A bearer token and when it stops working. */
export interface AccessToken {
  value: string;
  /** Epoch ms at which the server stops accepting it. */
  expiresAt: number;
}

/**
 * The one source of tokens for every REST call. Implementations refresh before expiry and share one refresh
 * among concurrent callers (single flight).
 */
export interface TokenProvider {
  getToken(signal?: AbortSignal): Promise<AccessToken>;
  /**
   * Tells the provider the server rejected `token` (401), so the next `getToken` fetches a new one
   * unless a newer token is already cached.
   */
  invalidate(token: AccessToken): void;
}
