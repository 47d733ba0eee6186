import type { Clock } from '../core/clock.ts';
import { NetworkError, TimeoutError, errorMessage } from '../core/errors.ts';
import {
  abortReason,
  DEFAULT_MAX_RESPONSE_BYTES,
  pathOf,
  ResponseTooLargeError,
  tooLarge,
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
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly fetch: FetchFunction;

  constructor(options: FetchTransportOptions) {
    this.clock = options.clock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    // Called unbound, a browser's fetch throws "Illegal invocation".
    this.fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    if (req.signal?.aborted) throw abortReason(req.signal);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      controller.abort(new TimeoutError('request timed out'));
    }, this.requestTimeoutMs);
    try {
      const res = await this.fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        signal: controller.signal,
        // The bearer token is the only credential; cookies of the page's origin have no business here.
        credentials: 'omit',
      });
      const header = (name: string): string | undefined => res.headers.get(name) ?? undefined;
      if (req.method === 'HEAD') {
        await res.body?.cancel();
        return { status: res.status, text: '', header };
      }
      const body = await readCapped(res, this.maxResponseBytes);
      if (!body.truncated) return { status: res.status, text: body.text, header };
      if (res.status >= 200 && res.status < 300) throw tooLarge(req, res.status, this.maxResponseBytes);
      return { status: res.status, text: body.text, header, truncated: { limitBytes: this.maxResponseBytes } };
    } catch (err) {
      if (req.signal?.aborted) throw abortReason(req.signal);
      if (timedOut)
        throw new TimeoutError(`${req.method} ${pathOf(req.url)} timed out after ${this.requestTimeoutMs} ms`);
      if (err instanceof ResponseTooLargeError) throw err;
      // fetch reports every transport failure (refused, reset, DNS, CORS refusal) as a TypeError.
      throw new NetworkError(`${req.method} ${pathOf(req.url)} failed: ${errorMessage(err)}`, { cause: err });
    } finally {
      this.clock.clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** Reads a body up to `limitBytes`; past it, cancels the stream so the rest is never read. */
async function readCapped(res: Response, limitBytes: number): Promise<{ text: string; truncated: boolean }> {
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return { text: '', truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: utf8(chunks, size), truncated: false };
    if (size + value.byteLength > limitBytes) {
      chunks.push(value.subarray(0, limitBytes - size));
      await reader.cancel();
      return { text: utf8(chunks, limitBytes), truncated: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
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
