import type { Pool } from 'undici';
import { systemClock, type Clock } from '../../core/clock.ts';
import { ConfigError, errorMessage } from '../../core/errors.ts';
import type { RelayEvent } from '../../envelope/envelope.ts';
import { classifyHttpResponse, classifyRequestError, redactUrl } from '../http/classify.ts';
import { createHttpPool, sendHttp } from '../http/http-request.ts';
import { skipRemaining } from '../http/skip-remaining.ts';
import type { BatchOutcome, DeliveryOutcome, Sink } from '../sink.ts';
import { batchIdempotencyKey, toWebhookPayload } from './payload.ts';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signWebhookBody, TIMESTAMP_HEADER } from './signature.ts';

export interface WebhookSinkOptions {
  /** Target URL (http or https). Query strings are sent but never logged. */
  url: string;
  /** Sink name, unique per relay; names the outbox cursor. @default 'webhook' */
  name?: string;
  /**
   * Shared HMAC secret. When set, every request carries `X-Genesys-Relay-Timestamp` and
   * `X-Genesys-Relay-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`
   * (see `verifyWebhookSignature`). @default undefined (unsigned)
   */
  secret?: string;
  /** Extra request headers, e.g. `Authorization`. They cannot replace the relay's own headers. @default {} */
  headers?: Readonly<Record<string, string>>;
  /** Per request: connect, wait for headers, and each gap while reading the body. @default 10000 */
  timeoutMs?: number;
  /**
   * `single`: one POST per event, body = the event object; `array`: one POST per batch, body = a JSON array, and
   * the batch succeeds or fails as a whole. @default 'single'
   */
  batch?: 'single' | 'array';
  /** Largest batch per `deliver` call. @default 20 ('single'), 100 ('array') */
  maxBatch?: number;
  /** @default systemClock */
  clock?: Clock;
}

const RESERVED_HEADERS = ['content-type', 'content-length', 'host', 'idempotency-key'].concat(
  [TIMESTAMP_HEADER, SIGNATURE_HEADER].map((h) => h.toLowerCase()),
);

/**
 * A sink that POSTs events as JSON to an HTTP endpoint. Delivery is at-least-once: receivers deduplicate on the
 * `Idempotency-Key` header (the event's deterministic `relay.key`). Throws ConfigError for invalid options.
 */
export function createWebhookSink(options: WebhookSinkOptions): Sink {
  return new WebhookSink(options);
}

class WebhookSink implements Sink {
  readonly name: string;
  readonly maxBatch: number;
  private readonly mode: 'single' | 'array';
  private readonly extraHeaders: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly what: string;
  private readonly path: string;
  private readonly pool: Pool;

  constructor(private readonly options: WebhookSinkOptions) {
    const url = parseWebhookUrl(options.url);
    this.extraHeaders = checkHeaders(options.headers ?? {});
    this.mode = options.batch ?? 'single';
    this.name = options.name ?? 'webhook';
    this.maxBatch = options.maxBatch ?? (this.mode === 'single' ? 20 : 100);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.clock = options.clock ?? systemClock;
    this.what = `webhook POST ${redactUrl(options.url)}`;
    this.path = `${url.pathname}${url.search}`;
    this.pool = createHttpPool(url.origin, this.timeoutMs);
  }

  async deliver(events: readonly RelayEvent[], signal: AbortSignal): Promise<BatchOutcome> {
    if (events.length === 0) return [];
    if (this.mode === 'array') {
      const outcome = await this.post(events, signal);
      return events.map(() => outcome);
    }
    const outcomes: BatchOutcome = [];
    for (const event of events) {
      const outcome = await this.post([event], signal);
      outcomes.push(outcome);
      // The endpoint is down, throttling us or refusing our credentials: don't hammer it with the rest.
      if (outcome.kind === 'retryable' || outcome.kind === 'blocked') {
        return skipRemaining(outcomes, events.length, outcome);
      }
    }
    return outcomes;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async post(events: readonly RelayEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    let body: string;
    try {
      const payload = this.mode === 'single' && events[0] ? toWebhookPayload(events[0]) : events.map(toWebhookPayload);
      body = JSON.stringify(payload);
    } catch (err) {
      return { kind: 'permanent', error: `cannot serialise the event as JSON: ${errorMessage(err)}` };
    }
    const headers = this.headersFor(events, body);
    try {
      const res = await sendHttp(this.pool, {
        method: 'POST',
        path: this.path,
        headers,
        body,
        timeoutMs: this.timeoutMs,
        signal,
      });
      const ctx = { what: this.what, nowMs: this.clock.now(), unauthorizedHint: 'check the webhook headers' };
      return classifyHttpResponse(res, ctx);
    } catch (err) {
      return classifyRequestError(err, this.what);
    }
  }

  private headersFor(events: readonly RelayEvent[], body: string): Record<string, string> {
    const timestampS = Math.floor(this.clock.now() / 1000);
    const headers: Record<string, string> = {
      ...this.extraHeaders,
      'content-type': 'application/json',
      [IDEMPOTENCY_HEADER]: batchIdempotencyKey(events),
      [TIMESTAMP_HEADER]: String(timestampS),
    };
    const { secret } = this.options;
    if (secret !== undefined) headers[SIGNATURE_HEADER] = signWebhookBody(secret, timestampS, body);
    return headers;
  }
}

function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('webhook.url', 'is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('webhook.url', `must be http or https, got ${url.protocol}`);
  }
  return url;
}

function checkHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (RESERVED_HEADERS.includes(name.toLowerCase())) {
      throw new ConfigError(`webhook.headers.${name}`, 'is set by the relay and cannot be overridden');
    }
    // Checked here because undici would reject them on every request, which would look like a retryable failure.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw new ConfigError(`webhook.headers.${name}`, 'is not a valid header name');
    if (/[\r\n\0]/.test(value)) throw new ConfigError(`webhook.headers.${name}`, 'must not contain line breaks');
  }
  return { ...headers };
}
