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
/** What a caller needs of the token beyond "currently valid". */
export interface TokenRequest {
  /**
   * The token must expire after this instant (epoch ms). A channel lives only as long as the token that created it,
   * so a rollover away from a channel whose token is about to expire asks for a token that outlives that one.
   */
  mustOutlive?: number;
}

export interface TokenProvider {
  getToken(signal?: AbortSignal, request?: TokenRequest): Promise<AccessToken>;
  /**
   * Tells the provider the server rejected `token` (401), so the next `getToken` fetches a new one
   * unless a newer token is already cached.
   */
  invalidate(token: AccessToken): void;
}
