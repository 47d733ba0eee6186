import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OAuthErrorBody, TokenResponse } from '../genesys/wire.ts';
import type { EmulatorContext } from './context.ts';
import { applyHttpFault } from './http-faults.ts';
import { readBody, sendJson } from './http.ts';
import { newCorrelationId } from './ids.ts';
import { issueToken } from './tokens.ts';

function oauthError(error: string, description: string): OAuthErrorBody {
  return { error, description, error_description: description };
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** `POST /oauth/token`, client-credentials grant (genesys-api.md §1.1). */
export async function handleToken(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.counters.loginRequests++;
  const headers = { 'inin-correlation-id': newCorrelationId() };
  const form = new URLSearchParams(await readBody(req));
  if (applyHttpFault(ctx, req, res, 'login', headers)) return;
  if (req.method !== 'POST') {
    sendJson(res, 405, oauthError('invalid_request', 'method not allowed'), headers);
    return;
  }
  const credentials = parseBasic(req.headers.authorization);
  const client = credentials ? ctx.clients.get(credentials.id) : undefined;
  if (!credentials || !client) {
    sendJson(
      res,
      credentials ? 400 : 401,
      oauthError('invalid_client', credentials ? 'client not found' : 'authentication failed'),
      headers,
    );
    return;
  }
  if (client.secret !== credentials.secret) {
    sendJson(res, 401, oauthError('invalid_client', 'authentication failed'), headers);
    return;
  }
  if (form.get('grant_type') !== 'client_credentials') {
    sendJson(res, 400, oauthError('unsupported_grant_type', 'grant type not supported'), headers);
    return;
  }
  const token = issueToken(ctx, client.id);
  const body: TokenResponse = { access_token: token.value, token_type: 'bearer', expires_in: ctx.options.tokenTtlS };
  sendJson(res, 200, body, { ...headers, 'cache-control': 'no-store' });
}
