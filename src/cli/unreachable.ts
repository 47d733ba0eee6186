import { NetworkError } from '../core/errors.ts';

/** Socket/DNS error codes that mean "we never reached the host": nothing about credentials can be concluded. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/**
 * The network error code behind `err` (walking its `cause` chain), when it says the host was not reached; undefined
 * for anything else (an HTTP answer, a rejected secret). A NetworkError without a recognisable code gives 'network'.
 */
export function unreachableCode(err: unknown): string | undefined {
  let sawNetworkError = false;
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 8; depth += 1) {
    if (current instanceof NetworkError) sawNetworkError = true;
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
    // AggregateError (happy eyeballs over IPv4 and IPv6) keeps the per-address errors in `errors`.
    const inner = current instanceof AggregateError ? (current.errors[0] as unknown) : undefined;
    current = inner ?? current.cause;
  }
  return sawNetworkError ? 'network' : undefined;
}

/** `https://login.example.com/x` → `login.example.com`; the input itself when it is not a URL. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
