import { RelayError } from '../core/errors.ts';

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
