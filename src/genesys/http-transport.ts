import { Agent, request } from 'undici';
import type { Clock } from '../core/clock.ts';
import { NetworkError, RelayError, TimeoutError, errorMessage } from '../core/errors.ts';
import { readCapped } from './bounded-body.ts';

/** One HTTP exchange, as the REST client and the token fetcher need it. */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
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
 * {@link UndiciTransport}. Implementations throw NetworkError / TimeoutError for transport failures and
 * rethrow the caller's abort reason unchanged.
 */
export interface HttpTransport {
  send(req: HttpRequest): Promise<HttpResponse>;
  close?(): Promise<void>;
}

export interface UndiciTransportOptions {
  clock: Clock;
  /** Whole-exchange deadline (connect, headers and body). @default 30000 */
  requestTimeoutMs?: number;
  /** Idle keep-alive sockets are closed after this long. @default 4000 */
  keepAliveTimeoutMs?: number;
  /** Maximum sockets per origin (Genesys allows ~300 requests/min per token; a few sockets suffice). @default 8 */
  connectionsPerOrigin?: number;
  /**
   * Bytes of a response body read at most. A longer error body is cut there (and the connection closed, so the
   * server cannot make us read on); a longer 2xx body fails the call, since truncated JSON is useless. @default 1 MiB
   */
  maxResponseBytes?: number;
}

/** Keep-alive HTTP/1.1 transport on an undici Agent (one pool per origin: api and login hosts). */
export class UndiciTransport implements HttpTransport {
  private readonly agent: Agent;
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(options: UndiciTransportOptions) {
    this.clock = options.clock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.agent = new Agent({
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
      connections: options.connectionsPerOrigin ?? 8,
    });
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(req.signal?.reason);
    if (req.signal?.aborted) throw abortReason(req.signal);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    // The deadline runs on the injected clock so that it follows the same time source as everything else.
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      controller.abort(new TimeoutError('request timed out'));
    }, this.requestTimeoutMs);
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        signal: controller.signal,
        dispatcher: this.agent,
      });
      const headers = res.headers;
      const header = (name: string): string | undefined => headerValue(headers[name.toLowerCase()]);
      if (req.method === 'HEAD') {
        await res.body.dump();
        return { status: res.statusCode, text: '', header };
      }
      const body = await readCapped(res.body, this.maxResponseBytes);
      if (!body.truncated) return { status: res.statusCode, text: body.text, header };
      if (res.statusCode >= 200 && res.statusCode < 300) throw tooLarge(req, res.statusCode, this.maxResponseBytes);
      return { status: res.statusCode, text: body.text, header, truncated: { limitBytes: this.maxResponseBytes } };
    } catch (err) {
      if (req.signal?.aborted) throw abortReason(req.signal);
      if (timedOut)
        throw new TimeoutError(`${req.method} ${pathOf(req.url)} timed out after ${this.requestTimeoutMs} ms`);
      if (err instanceof ResponseTooLargeError) throw err;
      throw new NetworkError(`${req.method} ${pathOf(req.url)} failed: ${describeNetworkError(err)}`, { cause: err });
    } finally {
      this.clock.clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** A 2xx answer whose body exceeded the cap (a truncated JSON document is useless). */
export class ResponseTooLargeError extends RelayError {}

function tooLarge(req: HttpRequest, status: number, limitBytes: number): RelayError {
  return new ResponseTooLargeError(
    'GENESYS_RELAY_ERR_PROTOCOL',
    `${req.method} ${pathOf(req.url)} answered ${status} with a body over ${limitBytes} bytes; read ${limitBytes} bytes, ` +
      'closed the connection and ignored the response (truncated)',
  );
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The path only: query strings never reach messages (they could carry ids a user considers sensitive). */
export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '<invalid url>';
  }
}

function describeNetworkError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? `${code} ${errorMessage(err)}` : errorMessage(err);
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}
