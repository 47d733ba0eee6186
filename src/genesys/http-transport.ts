import { Agent, request } from 'undici';
import type { Clock } from '../core/clock.ts';
import { readCapped } from './bounded-body.ts';
import {
  exchange,
  exchangeLimits,
  type ExchangeLimits,
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
  private readonly limits: ExchangeLimits;

  constructor(options: UndiciTransportOptions) {
    this.limits = exchangeLimits(options);
    this.agent = new Agent({
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
      connections: options.connectionsPerOrigin ?? 8,
    });
  }

  send(req: HttpRequest): Promise<HttpResponse> {
    return exchange(req, this.limits, async (signal) => {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        signal,
        dispatcher: this.agent,
      });
      return {
        status: res.statusCode,
        header: (name) => headerValue(res.headers[name.toLowerCase()]),
        discardBody: () => res.body.dump(),
        readBody: (limitBytes) => readCapped(res.body, limitBytes),
      };
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
