import { parseRetryAfterMs } from '../core/backoff.ts';
import type { Clock } from '../core/clock.ts';
import { AuthError } from '../core/errors.ts';
import { isRecord } from '../core/json.ts';
import { UndiciTransport, type HttpResponse, type HttpTransport } from '../genesys/http-transport.ts';
import type { AccessToken } from './token-provider.ts';

export interface ClientCredentialsOptions {
  /** e.g. `https://login.mypurecloud.com` (see resolveEndpoints). */
  loginBase: string;
  clientId: string;
  clientSecret: string;
  clock: Clock;
  /** HTTP port; when absent a short-lived UndiciTransport is used (tokens are fetched rarely). */
  transport?: HttpTransport;
  signal?: AbortSignal;
}

/**
 * One OAuth client-credentials grant (genesys-api.md §1.1): `POST <loginBase>/oauth/token` with a Basic header and
 * `grant_type=client_credentials`. Errors are classified here, once: the login host's refusal of the client
 * (`invalid_client`, `invalid_grant`, `unauthorized_client`, `unsupported_grant_type`, any 401) is fatal (retrying
 * cannot fix a wrong id or secret); everything else (429, 5xx, other 4xx, transport failures) is retryable.
 * The secret and the token never appear in an error message.
 */
export async function fetchClientCredentialsToken(options: ClientCredentialsOptions): Promise<AccessToken> {
  const { clock } = options;
  const transport = options.transport ?? new UndiciTransport({ clock });
  try {
    return await requestToken(transport, options);
  } finally {
    if (!options.transport) await transport.close?.();
  }
}

async function requestToken(transport: HttpTransport, options: ClientCredentialsOptions): Promise<AccessToken> {
  const { loginBase, clientId, clientSecret, clock } = options;
  const basic = Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64');
  const res = await transport.send({
    method: 'POST',
    url: `${loginBase.replace(/\/+$/, '')}/oauth/token`,
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: 'grant_type=client_credentials',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (res.status === 200) return parseTokenResponse(res.text, clock.now(), loginBase);
  throw classifyTokenFailure(res, { clientId, loginBase, nowMs: clock.now() });
}

function parseTokenResponse(text: string, nowMs: number, loginBase: string): AccessToken {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!isRecord(body) || typeof body.access_token !== 'string' || body.access_token === '') {
    // A 200 without a token usually means loginBase points at something that is not a Genesys login host.
    throw new AuthError(
      `token endpoint ${loginBase}/oauth/token answered 200 without an access_token; check the region / login base`,
      {
        retryable: false,
      },
    );
  }
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 86_399;
  return { value: body.access_token, expiresAt: nowMs + expiresIn * 1000 };
}

interface FailureContext {
  clientId: string;
  loginBase: string;
  nowMs: number;
}

/** Maps a non-200 token response to an AuthError with advice; exported for tests. */
export function classifyTokenFailure(res: HttpResponse, ctx: FailureContext): AuthError {
  const oauth = readOAuthError(res.text);
  const where = `${ctx.loginBase}/oauth/token`;
  const detail = oauth ? `${oauth.error}${oauth.description ? `: ${oauth.description}` : ''}` : `HTTP ${res.status}`;
  const truncated = res.truncated ? ` (response body truncated at ${res.truncated.limitBytes} bytes)` : '';
  if (!refusesClient(res.status, oauth)) {
    const retryAfterMs = parseRetryAfterMs(res.header('retry-after'), ctx.nowMs);
    // Not the login host's word on the credentials (a 5xx, a 429, a proxy's 400/404 page): worth retrying, with the
    // advice in the message so a misconfigured login base is still named while it is retried.
    const hint = res.status === 429 || res.status >= 500 ? '' : ` ${advice(res.status, oauth, ctx)}`;
    return new AuthError(
      `token request to ${where} failed with ${res.status} (${detail})${truncated}; will retry.${hint}`,
      {
        retryable: true,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      },
    );
  }
  return new AuthError(
    `token request rejected (${res.status} ${detail})${truncated}. ${advice(res.status, oauth, ctx)}`,
    {
      retryable: false,
    },
  );
}

/** OAuth errors that say the client itself is refused or misconfigured (RFC 6749 §5.2): retrying cannot fix them. */
const FATAL_OAUTH_ERRORS: ReadonlySet<string> = new Set([
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
]);

/** Only the login host's explicit refusal of the credentials is fatal: an OAuth client error, or any 401. */
function refusesClient(status: number, oauth: OAuthError | undefined): boolean {
  if (status === 429 || status >= 500) return false;
  return status === 401 || (oauth !== undefined && FATAL_OAUTH_ERRORS.has(oauth.error));
}

function advice(status: number, oauth: OAuthError | undefined, ctx: FailureContext): string {
  const text = `${oauth?.description ?? ''} ${oauth?.error ?? ''}`.toLowerCase();
  if (text.includes('client not found')) {
    return `Check the client id "${ctx.clientId}" (GENESYS_CLIENT_ID) and that it belongs to the region of ${ctx.loginBase} (GENESYS_REGION).`;
  }
  if (text.includes('authentication failed')) {
    return `Check the client secret (GENESYS_CLIENT_SECRET) for client id "${ctx.clientId}".`;
  }
  if (text.includes('unsupported_grant_type') || text.includes('unauthorized_client')) {
    return `Check that OAuth client "${ctx.clientId}" uses the Client Credentials grant type.`;
  }
  if (status === 404 || !oauth) {
    return `Check the region / login base (${ctx.loginBase}); it did not answer like a Genesys login host.`;
  }
  return `Check the client id "${ctx.clientId}", its secret and the region (${ctx.loginBase}).`;
}

interface OAuthError {
  error: string;
  description: string | undefined;
}

function readOAuthError(text: string): OAuthError | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(body) || typeof body.error !== 'string') return undefined;
  const description =
    typeof body.error_description === 'string'
      ? body.error_description
      : typeof body.description === 'string'
        ? body.description
        : undefined;
  // Descriptions are short server phrases; trim them so an odd proxy page cannot bloat a log line.
  return { error: body.error.slice(0, 100), description: description?.slice(0, 200) };
}
