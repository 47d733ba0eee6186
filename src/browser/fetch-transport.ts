import type { Clock } from '../core/clock.ts';
import {
  exchange,
  exchangeLimits,
  readCappedChunks,
  type CappedBody,
  type ExchangeLimits,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
} from '../genesys/http.ts';

/** The platform's `fetch` (a browser's, a worker's, Node's): only what this transport calls. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface FetchTransportOptions {
  clock: Clock;
  /** Whole-exchange deadline (connect, headers and body), as UndiciTransport's. @default 30000 */
  requestTimeoutMs?: number;
  /** Bytes of a response body read at most, as UndiciTransport's. @default 1 MiB */
  maxResponseBytes?: number;
  /** @default globalThis.fetch */
  fetch?: FetchFunction;
}

/**
 * The HttpTransport on `fetch`, with UndiciTransport's contract: one deadline on the injected clock per exchange
 * (TimeoutError), transport failures as NetworkError, the caller's abort reason rethrown unchanged, and bodies read
 * up to the cap: a longer error body is cut there (the stream cancelled, so nothing more is read), a longer 2xx
 * body fails the call (truncated JSON is useless). Keep-alive and pooling are the platform's.
 */
export class FetchTransport implements HttpTransport {
  private readonly limits: ExchangeLimits;
  private readonly fetch: FetchFunction;

  constructor(options: FetchTransportOptions) {
    this.limits = exchangeLimits(options);
    // Called unbound, a browser's fetch throws "Illegal invocation".
    this.fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  }

  send(req: HttpRequest): Promise<HttpResponse> {
    // fetch reports every transport failure (refused, reset, DNS, CORS refusal) as a TypeError: a NetworkError.
    return exchange(req, this.limits, async (signal) => {
      const res = await this.fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        signal,
        // The bearer token is the only credential; cookies of the page's origin have no business here.
        credentials: 'omit',
      });
      return {
        status: res.status,
        header: (name) => res.headers.get(name) ?? undefined,
        discardBody: async () => res.body?.cancel(),
        readBody: (limitBytes) => readCapped(res, limitBytes),
      };
    });
  }
}

/** Reads a body up to `limitBytes`; past it, cancels the stream so the rest is never read. */
function readCapped(res: Response, limitBytes: number): Promise<CappedBody> {
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return Promise.resolve({ text: '', truncated: false });
  const next = async (): Promise<Uint8Array | undefined> => (await reader.read()).value;
  return readCappedChunks(next, () => reader.cancel(), limitBytes);
}
