import { parseRetryAfterMs } from '../core/backoff.ts';
import { ApiError } from '../core/errors.ts';
import { isRecord } from '../core/json.ts';
import type { HttpResponse } from './http.ts';
import type { ErrorBody } from './wire.ts';

/** Statuses a later attempt can fix (genesys-api.md §4.2: the SDKs and streaming-client retry these). */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * An ApiError enriched with what Genesys support asks for: the body's `contextId` and the response's
 * `ININ-Correlation-Id`. Still `instanceof ApiError`, so callers need not know this class.
 */
export class GenesysApiError extends ApiError {
  readonly contextId: string | undefined;
  readonly correlationId: string | undefined;
  /** The parsed ErrorBody, when the response had one. */
  readonly body: ErrorBody | undefined;

  constructor(
    status: number,
    message: string,
    details: {
      apiCode?: string | undefined;
      contextId?: string | undefined;
      correlationId?: string | undefined;
      body?: ErrorBody | undefined;
    },
    options: { retryable: boolean; retryAfterMs?: number },
  ) {
    super(status, message, details.apiCode, options);
    this.contextId = details.contextId;
    this.correlationId = details.correlationId;
    this.body = details.body;
  }
}

/**
 * Reads an ErrorBody defensively: proxies and load balancers answer with HTML or nothing at all, so any
 * non-object or non-JSON body yields undefined rather than an exception.
 */
export function parseErrorBody(text: string): ErrorBody | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const body: ErrorBody = {};
  if (typeof value.message === 'string') body.message = value.message;
  if (typeof value.code === 'string') body.code = value.code;
  if (typeof value.status === 'number') body.status = value.status;
  if (typeof value.contextId === 'string') body.contextId = value.contextId;
  if (typeof value.messageWithParams === 'string') body.messageWithParams = value.messageWithParams;
  if (isRecord(value.limit)) body.limit = pickLimit(value.limit);
  return body;
}

function pickLimit(raw: Record<string, unknown>): NonNullable<ErrorBody['limit']> {
  const limit: NonNullable<ErrorBody['limit']> = {};
  if (typeof raw.key === 'string') limit.key = raw.key;
  if (typeof raw.namespace === 'string') limit.namespace = raw.namespace;
  if (typeof raw.value === 'number') limit.value = raw.value;
  return limit;
}

/** Turns a non-2xx response into a classified GenesysApiError; `what` is e.g. `PUT /api/v2/…/subscriptions`. */
export function apiErrorFromResponse(what: string, res: HttpResponse, nowMs: number): GenesysApiError {
  const body = parseErrorBody(res.text);
  const retryAfterMs = parseRetryAfterMs(res.header('retry-after'), nowMs);
  const correlationId = res.header('inin-correlation-id');
  const summary =
    body?.message ?? (res.text.trim() === '' ? 'empty body' : res.truncated ? 'oversized body' : 'non-JSON body');
  const parts = [`${what} failed with ${res.status}`];
  if (body?.code) parts.push(body.code);
  // Server text is bounded: an HTML error page must not become a 50 kB log line.
  parts.push(summary.slice(0, 300));
  const ids = [
    body?.contextId && `contextId ${body.contextId}`,
    correlationId && `correlationId ${correlationId}`,
  ].filter(Boolean);
  if (res.truncated) parts.push(`response body truncated at ${res.truncated.limitBytes} bytes`);
  const message = parts.join(': ') + (ids.length > 0 ? ` (${ids.join(', ')})` : '');
  return new GenesysApiError(
    res.status,
    message,
    { apiCode: body?.code, contextId: body?.contextId, correlationId, body },
    { retryable: isRetryableStatus(res.status), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
  );
}
