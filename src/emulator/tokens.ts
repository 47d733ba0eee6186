import type { IncomingMessage } from 'node:http';
import type { EmulatorContext, TokenRecord } from './context.ts';
import { newAccessToken } from './ids.ts';

/** Issuing and checking bearer tokens. */

export function issueToken(ctx: EmulatorContext, clientId: string): TokenRecord {
  const now = ctx.options.clock.now();
  const token: TokenRecord = {
    value: newAccessToken(),
    id: `t${ctx.nextTokenNumber++}`,
    clientId,
    issuedAt: now,
    expiresAt: now + ctx.options.tokenTtlS * 1000,
    revoked: false,
    rejectFirstUse: (ctx.pending.rejectTokens ?? 0) > 0,
    windowStartAt: now,
    windowCount: 0,
  };
  if (token.rejectFirstUse) ctx.pending.rejectTokens = (ctx.pending.rejectTokens ?? 1) - 1;
  if (ctx.tokens.size >= PRUNE_AT) pruneExpired(ctx, now);
  ctx.tokens.set(token.value, token);
  ctx.counters.tokensIssued++;
  return token;
}

/** Long soaks with short-lived tokens would otherwise grow the token table (and the state) without bound. */
const PRUNE_AT = 1000;

function pruneExpired(ctx: EmulatorContext, now: number): void {
  for (const [value, token] of ctx.tokens) if (token.expiresAt <= now) ctx.tokens.delete(value);
}

export type BearerCheck =
  | { ok: true; token: TokenRecord }
  | { ok: false; code: 'authentication.required' | 'bad.credentials'; message: string };

const NO_BEARER = 'No authentication bearer token specified in authorization header.';
const BAD_CREDENTIALS = 'Invalid login credentials.';

/** genesys-api.md §7: no bearer → authentication.required; unknown, expired or revoked → bad.credentials. */
export function checkBearer(ctx: EmulatorContext, req: IncomingMessage): BearerCheck {
  const header = req.headers.authorization ?? '';
  const match = /^bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) return { ok: false, code: 'authentication.required', message: NO_BEARER };
  const token = ctx.tokens.get(match[1]);
  if (!token || token.revoked || token.expiresAt <= ctx.options.clock.now()) {
    return { ok: false, code: 'bad.credentials', message: BAD_CREDENTIALS };
  }
  if (token.rejectFirstUse) {
    // A transient auth fault (reject-token): refused once although valid, as a cache-lagging edge might.
    token.rejectFirstUse = false;
    return { ok: false, code: 'bad.credentials', message: BAD_CREDENTIALS };
  }
  return { ok: true, token };
}

/** The token record for a value or public id, if any. */
export function findToken(ctx: EmulatorContext, valueOrId: string): TokenRecord | undefined {
  return ctx.tokens.get(valueOrId) ?? [...ctx.tokens.values()].find((token) => token.id === valueOrId);
}
