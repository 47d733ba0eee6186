import type { EmulatorContext, TokenRecord } from './context.ts';

/** Per-token fixed 60 s window, as the `inin-ratelimit-*` headers describe (genesys-api.md §4.2). */
const WINDOW_MS = 60_000;

export interface RateDecision {
  allowed: boolean;
  count: number;
  resetS: number;
}

/** Counts one request against the token's window and says whether it may proceed. */
export function takeRequest(ctx: EmulatorContext, token: TokenRecord): RateDecision {
  const now = ctx.options.clock.now();
  if (now - token.windowStartAt >= WINDOW_MS) {
    token.windowStartAt = now;
    token.windowCount = 0;
  }
  const resetS = Math.max(1, Math.ceil((token.windowStartAt + WINDOW_MS - now) / 1000));
  if (token.windowCount >= ctx.options.rateLimitPerMinute) return { allowed: false, count: token.windowCount, resetS };
  token.windowCount++;
  return { allowed: true, count: token.windowCount, resetS };
}

export function rateLimitMessage(retryAfterS: number): string {
  return `Rate limit exceeded the maximum. Retry the request in [${retryAfterS}] seconds`;
}
