import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Thrown by handlers to answer with ServiceNow's error shape. */
export class FakeHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
  res.end(text);
}

/** `{"error":{"message","detail"},"status":"failure"}`, ServiceNow's documented error body. */
export function sendError(res: ServerResponse, err: FakeHttpError): void {
  sendJson(res, err.status, { error: { message: err.message, detail: err.detail }, status: 'failure' }, err.headers);
}

/** Reads the whole body (so the client finishes sending), then answers 413 when it is over `maxBytes`. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
  }
  if (size > maxBytes) {
    throw new FakeHttpError(413, 'Request entity too large', `The request body exceeds ${maxBytes} bytes`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** 32 hex chars, like a ServiceNow sys_id. */
export function newSysId(): string {
  return randomBytes(16).toString('hex');
}

/** ServiceNow's `YYYY-MM-DD HH:mm:ss` (UTC) date-time format. */
export function glideDateTime(atMs: number): string {
  return new Date(atMs).toISOString().slice(0, 19).replace('T', ' ');
}

/** Parses a JSON request body that must be an object. */
export function parseJsonObject(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new FakeHttpError(400, 'Exception while reading request', 'The payload is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FakeHttpError(400, 'Exception while reading request', 'The payload must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/**
 * ServiceNow stores strings. The Import Set API mangles nested JSON (`:` becomes `=`, docs), which the fake
 * reproduces so a sink that forgets to stringify its payload sees the same damage as against a real instance.
 */
export function toFieldValue(value: unknown, mangleNested: boolean): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const json = JSON.stringify(value);
  return mangleNested ? json.replace(/:/g, '=') : json;
}
