import { Agent, request } from 'undici';
import type { Clock } from '../core/clock.ts';
import { NetworkError, TimeoutError, errorMessage } from '../core/errors.ts';

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
  /** Whole body as text ('' for HEAD and empty bodies). */
  text: string;
}

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
}

/** Keep-alive HTTP/1.1 transport on an undici Agent (one pool per origin: api and login hosts). */
export class UndiciTransport implements HttpTransport {
  private readonly agent: Agent;
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;

  constructor(options: UndiciTransportOptions) {
    this.clock = options.clock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
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
      const text = req.method === 'HEAD' ? '' : await res.body.text();
      if (req.method === 'HEAD') await res.body.dump();
      const headers = res.headers;
      return { status: res.statusCode, text, header: (name) => headerValue(headers[name.toLowerCase()]) };
    } catch (err) {
      if (req.signal?.aborted) throw abortReason(req.signal);
      if (timedOut)
        throw new TimeoutError(`${req.method} ${pathOf(req.url)} timed out after ${this.requestTimeoutMs} ms`);
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
