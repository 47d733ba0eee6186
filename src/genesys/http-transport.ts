import { Agent, request } from 'undici';
import type { Clock } from '../core/clock.ts';
import { NetworkError, TimeoutError, errorMessage } from '../core/errors.ts';
import { readCapped } from './bounded-body.ts';
import {
  abortReason,
  DEFAULT_MAX_RESPONSE_BYTES,
  pathOf,
  ResponseTooLargeError,
  tooLarge,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
} from './http.ts';

// The platform-neutral part of the port lives in http.ts (shared with the browser's fetch transport).
export { DEFAULT_MAX_RESPONSE_BYTES, pathOf, ResponseTooLargeError } from './http.ts';
export type { HttpRequest, HttpResponse, HttpTransport } from './http.ts';

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

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function describeNetworkError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? `${code} ${errorMessage(err)}` : errorMessage(err);
}
