import type { Clock } from '../core/clock.ts';
import { errorMessage, NetworkError, RelayError, TimeoutError } from '../core/errors.ts';

/** One HTTP exchange, as the REST client and the token fetcher need it. */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** This exchange's body cap, instead of the transport's: for the few answers known to be large (analytics pages). */
  maxResponseBytes?: number;
}

export interface HttpResponse {
  status: number;
  /** Header lookup by lower-case name. */
  header(name: string): string | undefined;
  /** Whole body as text ('' for HEAD and empty bodies); at most the transport's body cap. */
  text: string;
  /** Set when the body exceeded the cap: `text` holds its first `limitBytes` bytes and the rest was never read. */
  truncated?: { limitBytes: number };
}

/** Genesys API and login answers are small JSON documents; anything past this is refused (issue 8 item 7). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The narrow port under every Genesys call. Tests substitute a scripted function; production uses
 * UndiciTransport (Node) or FetchTransport (browsers). Implementations throw NetworkError / TimeoutError for transport failures and
 * rethrow the caller's abort reason unchanged.
 */
export interface HttpTransport {
  send(req: HttpRequest): Promise<HttpResponse>;
  close?(): Promise<void>;
}

/** A 2xx answer whose body exceeded the cap (a truncated JSON document is useless). */
export class ResponseTooLargeError extends RelayError {}

export function tooLarge(req: HttpRequest, status: number, limitBytes: number): RelayError {
  return new ResponseTooLargeError(
    'GENESYS_RELAY_ERR_PROTOCOL',
    `${req.method} ${pathOf(req.url)} answered ${status} with a body over ${limitBytes} bytes; read ${limitBytes} bytes, ` +
      'closed the connection and ignored the response (truncated)',
  );
}

/** The path only: query strings never reach messages (they could carry ids a user considers sensitive). */
export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '<invalid url>';
  }
}

export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

/** A response body read up to a cap. */
export interface CappedBody {
  /** The body as UTF-8 text, cut at `limitBytes` when truncated. */
  text: string;
  truncated: boolean;
}

/**
 * Reads chunks until `next` answers undefined or the total passes `limitBytes`; past the cap, `stop` is called (it
 * cancels or destroys the platform's stream, so the rest is never read) and the text is cut at the cap.
 */
export async function readCappedChunks(
  next: () => Promise<Uint8Array | undefined>,
  stop: () => Promise<void> | void,
  limitBytes: number,
): Promise<CappedBody> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await next(); chunk !== undefined; chunk = await next()) {
    if (size + chunk.byteLength > limitBytes) {
      chunks.push(chunk.subarray(0, limitBytes - size));
      await stop();
      return { text: utf8(chunks, limitBytes), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return { text: utf8(chunks, size), truncated: false };
}

function utf8(chunks: readonly Uint8Array[], size: number): string {
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** What a platform's HTTP client (undici, fetch) answered, before the shared body rules apply. */
export interface PlatformResponse {
  status: number;
  header(name: string): string | undefined;
  /** Drops the body unread (HEAD). */
  discardBody(): Promise<void>;
  /** Reads the body up to `limitBytes`; past it, stops so the rest is never read. */
  readBody(limitBytes: number): Promise<CappedBody>;
}

export interface ExchangeLimits {
  clock: Clock;
  /** Whole-exchange deadline (connect, headers and body). */
  requestTimeoutMs: number;
  maxResponseBytes: number;
}

/** A transport's limits from its options, with the defaults every transport shares. */
export function exchangeLimits(options: {
  clock: Clock;
  requestTimeoutMs?: number;
  maxResponseBytes?: number;
}): ExchangeLimits {
  return {
    clock: options.clock,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  };
}

/**
 * The HttpTransport contract, whatever the platform under it: one deadline on the injected clock per exchange
 * (TimeoutError), the caller's abort reason rethrown unchanged, transport failures as NetworkError, and a body over
 * the cap cut there when it is an error answer, or refused (ResponseTooLargeError) when it is a 2xx answer.
 * `start` makes the platform call with the signal that carries both the deadline and the caller's abort.
 */
export async function exchange(
  req: HttpRequest,
  limits: ExchangeLimits,
  start: (signal: AbortSignal) => Promise<PlatformResponse>,
): Promise<HttpResponse> {
  if (req.signal?.aborted) throw abortReason(req.signal);
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(req.signal?.reason);
  req.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  // The deadline runs on the injected clock so that it follows the same time source as everything else.
  const timer = limits.clock.setTimeout(() => {
    timedOut = true;
    controller.abort(new TimeoutError('request timed out'));
  }, limits.requestTimeoutMs);
  try {
    return await answer(req, await start(controller.signal), req.maxResponseBytes ?? limits.maxResponseBytes);
  } catch (err) {
    if (req.signal?.aborted) throw abortReason(req.signal);
    if (timedOut)
      throw new TimeoutError(`${req.method} ${pathOf(req.url)} timed out after ${limits.requestTimeoutMs} ms`);
    if (err instanceof ResponseTooLargeError) throw err;
    throw new NetworkError(`${req.method} ${pathOf(req.url)} failed: ${describeNetworkError(err)}`, { cause: err });
  } finally {
    limits.clock.clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
  }
}

async function answer(req: HttpRequest, res: PlatformResponse, maxBytes: number): Promise<HttpResponse> {
  const status = res.status;
  const header = (name: string): string | undefined => res.header(name);
  if (req.method === 'HEAD') {
    await res.discardBody();
    return { status, text: '', header };
  }
  const body = await res.readBody(maxBytes);
  if (!body.truncated) return { status, text: body.text, header };
  if (status >= 200 && status < 300) throw tooLarge(req, status, maxBytes);
  return { status, text: body.text, header, truncated: { limitBytes: maxBytes } };
}

/** undici's errors carry a code (ECONNREFUSED, UND_ERR_SOCKET); fetch's TypeError has none, only its message. */
function describeNetworkError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? `${code} ${errorMessage(err)}` : errorMessage(err);
}
