import { Pool, type Dispatcher } from 'undici';

/** A response reduced to what classification needs: header names lower-cased, the body read as text. */
export interface HttpResult {
  status: number;
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
}

export interface HttpCall {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  /** Path and query, e.g. `/api/now/table/incident?sysparm_limit=1`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Bounds both the wait for response headers and the gaps while reading the body. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * One keep-alive connection pool per target origin. A few connections are enough: the outbox delivers one batch
 * per sink at a time, and ServiceNow only runs two transform jobs per node anyway (ecosystem.md §1.1).
 */
export function createHttpPool(origin: string, timeoutMs: number, connections = 4): Pool {
  return new Pool(origin, {
    connections,
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}

/**
 * Sends one request and reads the whole response. Throws only for network-level failures (refused, reset,
 * timeouts, abort); every HTTP status, including errors, comes back as a result to classify.
 */
export async function sendHttp(dispatcher: Dispatcher, call: HttpCall): Promise<HttpResult> {
  const res = await dispatcher.request({
    method: call.method,
    path: call.path,
    headers: call.headers,
    body: call.body ?? null,
    signal: call.signal ?? null,
    headersTimeout: call.timeoutMs,
    bodyTimeout: call.timeoutMs,
  });
  return { status: res.statusCode, headers: flattenHeaders(res.headers), body: await readCapped(res.body) };
}

/**
 * Bodies are only classified and summarised, so a misbehaving endpoint streaming megabytes of HTML is cut off at
 * `MAX_RESPONSE_BYTES` (leaving the loop destroys the stream, and undici drops that connection).
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

async function readCapped(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_RESPONSE_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
