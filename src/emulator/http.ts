import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ErrorBody } from '../genesys/wire.ts';

/** Small HTTP helpers: bodies in, JSON out. */

/** Large enough for a 1000-topic PUT with long ids, small enough to refuse a runaway upload. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; an empty body is `undefined`, malformed JSON is `{ invalid: true }`. */
export async function readJson(req: IncomingMessage): Promise<{ value: unknown } | { invalid: true }> {
  const text = await readBody(req);
  if (text.trim() === '') return { value: undefined };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { invalid: true };
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...headers, 'content-length': 0 });
  res.end();
}

export function errorBody(status: number, code: string, message: string, contextId?: string): ErrorBody {
  return {
    message,
    code,
    status,
    messageParams: {},
    ...(contextId === undefined ? {} : { contextId }),
    details: [],
    errors: [],
  };
}
