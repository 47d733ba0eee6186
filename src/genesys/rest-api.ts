import type { AccessToken, TokenProvider, TokenRequest } from '../auth/token-provider.ts';
import { computeBackoffMs, type BackoffPolicy, type Random } from '../core/backoff.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { AuthError, ConfigError, RelayError, errorMessage } from '../core/errors.ts';
import { apiErrorFromResponse } from './error-body.ts';
import { pathOf, type HttpRequest, type HttpResponse, type HttpTransport } from './http.ts';
import type { Channel, CreateChannelOptions, NotificationsApi, SubscribeResult } from './notifications-api.ts';
import { resolveEndpoints } from './regions.ts';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.ts';
import { toChannel, toChannelList, toSubscribeResult, toTopicList, toAvailableTopics } from './rest-mapping.ts';
import type { AvailableTopic, ChannelTopic } from './wire.ts';

/** Names of the REST operations, stable for metric labels (paths carry ids). */
export type RestOperation =
  | 'createChannel'
  | 'listChannels'
  | 'channelExists'
  | 'getSubscriptions'
  | 'replaceSubscriptions'
  | 'addSubscriptions'
  | 'deleteSubscriptions'
  | 'availableTopics'
  /** A state re-read after a gap (src/resync): presence, routing status, conversations. */
  | 'resyncRead';

export interface RestRequestEvent {
  operation: RestOperation;
  /** 1 for the first try of a call. */
  attempt: number;
  /** HTTP status, absent when the transport failed. */
  status?: number;
  durationMs: number;
  error?: RelayError;
}

export interface RestRetryEvent {
  operation: RestOperation;
  /** The attempt that is about to run (2 for the first retry). */
  attempt: number;
  delayMs: number;
  error: RelayError;
}

export interface GenesysRestClientOptions {
  /** e.g. `https://api.mypurecloud.ie`; wins over `region`. */
  apiBase?: string;
  /** A domain (`mypurecloud.ie`) or SDK key (`eu_west_1`). @default 'mypurecloud.com' */
  region?: string;
  tokens: TokenProvider;
  /** @default systemClock */
  clock?: Clock;
  /** @default Math.random */
  random?: Random;
  /** @default an UndiciTransport owned (and closed) by this client (GenesysRestClient; GenesysRestApi needs one) */
  transport?: HttpTransport;
  /** Tries per call, first one included (a 401 refresh-and-retry does not count). @default 4 */
  maxAttempts?: number;
  /** Deadline of one HTTP exchange (only used for the default transport). @default 30000 */
  requestTimeoutMs?: number;
  /** Backoff for 5xx / network failures without Retry-After. @default { baseMs: 1000, maxMs: 30000, firstImmediate: false } */
  backoff?: BackoffPolicy;
  /**
   * A 429 whose Retry-After exceeds this is not waited out inside the call: it fails with `retryAfterMs` set, for the
   * caller to schedule (the Java SDK gives up past 180 s, which daily quota breaches exceed). @default 180000
   */
  maxRetryAfterMs?: number;
  /** Shared budget (pass one instance to several clients) or its options. @default new RetryBudget(clock) */
  retryBudget?: RetryBudget | RetryBudgetOptions;
  /** Called after every HTTP exchange. Must not throw. */
  onRequest?: (event: RestRequestEvent) => void;
  /** Called before every retry wait. Must not throw. */
  onRetry?: (event: RestRetryEvent) => void;
}

interface CallSpec {
  operation: RestOperation;
  method: HttpRequest['method'];
  path: string;
  body?: unknown;
  /** Non-2xx statuses that are answers rather than errors (HEAD → 404). */
  accept?: readonly number[];
  signal?: AbortSignal | undefined;
  token?: TokenRequest;
  /** The body cap of this call, when its answers can be larger than the transport's (HttpRequest.maxResponseBytes). */
  maxResponseBytes?: number;
}

const CHANNELS = '/api/v2/notifications/channels';
const defaultRestBackoff: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000, firstImmediate: false };

/**
 * The Notification API over HTTPS (genesys-api.md §1, §4). Every call: bearer token from the TokenProvider; on 401
 * the token is invalidated and the call retried at once with a fresh one, then with backoff; 429 waits exactly Retry-After; 408/5xx and
 * transport failures back off with full jitter; 400/403/404 fail at once. Retries are bounded per call
 * (`maxAttempts`) and across calls (the retry budget).
 */
export class GenesysRestApi implements NotificationsApi {
  private readonly apiBase: string;
  private readonly clock: Clock;
  private readonly transport: HttpTransport;
  private readonly ownsTransport: boolean;
  private readonly budget: RetryBudget;

  /**
   * Platform-neutral: the transport is given (fetch in a browser); `ownsTransport` makes close() close it.
   * GenesysRestClient (rest-client.ts) is this with Node's undici transport as the default.
   */
  constructor(
    private readonly options: GenesysRestClientOptions & { transport: HttpTransport },
    ownsTransport = false,
  ) {
    this.apiBase = resolveEndpoints(options.region, options.apiBase ? { apiBase: options.apiBase } : {}).apiBase;
    this.clock = options.clock ?? systemClock;
    this.ownsTransport = ownsTransport;
    this.transport = options.transport;
    const budget = options.retryBudget;
    this.budget = budget instanceof RetryBudget ? budget : new RetryBudget(this.clock, budget);
  }

  async createChannel(signal?: AbortSignal, options: CreateChannelOptions = {}): Promise<Channel> {
    const token = options.tokenMustOutlive === undefined ? {} : { mustOutlive: options.tokenMustOutlive };
    const spec: CallSpec = { operation: 'createChannel', method: 'POST', path: CHANNELS, signal, token };
    const { response, tokenExpiresAt } = await this.authenticatedCall(spec);
    const channel = toChannel(response.text, this.clock.now());
    checkConnectUri(channel.connectUri, this.apiBase);
    // The channel lives only as long as the token that created it (genesys-api.md §2.1): the session rolls over before.
    return { ...channel, tokenExpiresAt };
  }

  async listChannels(
    includechannels: 'token' | 'oauthclient' = 'token',
    signal?: AbortSignal,
  ): Promise<Array<Partial<Channel>>> {
    const path = `${CHANNELS}?includechannels=${includechannels}`;
    const res = await this.call({ operation: 'listChannels', method: 'GET', path, signal });
    return toChannelList(res.text);
  }

  async channelExists(channelId: string, signal?: AbortSignal): Promise<boolean> {
    const path = `${CHANNELS}/${encodeURIComponent(channelId)}`;
    const res = await this.call({ operation: 'channelExists', method: 'HEAD', path, accept: [404], signal });
    return res.status !== 404;
  }

  async getSubscriptions(channelId: string, signal?: AbortSignal): Promise<ChannelTopic[]> {
    const res = await this.call({
      operation: 'getSubscriptions',
      method: 'GET',
      path: subscriptionsPath(channelId),
      signal,
    });
    return toTopicList(res.text);
  }

  replaceSubscriptions(
    channelId: string,
    topics: readonly string[],
    options: { ignoreErrors?: boolean; signal?: AbortSignal } = {},
  ): Promise<SubscribeResult> {
    return this.subscribe('replaceSubscriptions', 'PUT', channelId, topics, options);
  }

  addSubscriptions(
    channelId: string,
    topics: readonly string[],
    options: { ignoreErrors?: boolean; signal?: AbortSignal } = {},
  ): Promise<SubscribeResult> {
    return this.subscribe('addSubscriptions', 'POST', channelId, topics, options);
  }

  async deleteSubscriptions(channelId: string, signal?: AbortSignal): Promise<void> {
    await this.call({ operation: 'deleteSubscriptions', method: 'DELETE', path: subscriptionsPath(channelId), signal });
  }

  async availableTopics(expand: readonly string[] = [], signal?: AbortSignal): Promise<AvailableTopic[]> {
    const query = expand.length > 0 ? `?expand=${expand.map(encodeURIComponent).join(',')}` : '';
    const path = `/api/v2/notifications/availabletopics${query}`;
    const res = await this.call({ operation: 'availableTopics', method: 'GET', path, signal });
    return toAvailableTopics(res.text);
  }

  /**
   * A read of Genesys state outside the Notification API, for gap healing (src/resync): the same token, 401 refresh,
   * 429 Retry-After, backoff and retry budget as every other call. `accept404` makes a 404 an answer (`body`
   * undefined) instead of an error. Returns the status and the parsed JSON body.
   */
  async readState(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; accept404?: boolean; signal?: AbortSignal; maxResponseBytes?: number } = {},
  ): Promise<{ status: number; body: unknown }> {
    const res = await this.call({
      operation: 'resyncRead',
      method,
      path,
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.accept404 ? { accept: [404] } : {}),
      ...(options.maxResponseBytes === undefined ? {} : { maxResponseBytes: options.maxResponseBytes }),
      signal: options.signal,
    });
    if (res.status === 404 || res.text.trim() === '') return { status: res.status, body: undefined };
    return { status: res.status, body: JSON.parse(res.text) as unknown };
  }

  /** Retry-budget counters, for metrics. */
  budgetSnapshot(): ReturnType<RetryBudget['snapshot']> {
    return this.budget.snapshot();
  }

  /** Closes the default transport's keep-alive sockets (a no-op for an injected transport). */
  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close?.();
  }

  private async subscribe(
    operation: 'replaceSubscriptions' | 'addSubscriptions',
    method: 'PUT' | 'POST',
    channelId: string,
    topics: readonly string[],
    options: { ignoreErrors?: boolean; signal?: AbortSignal },
  ): Promise<SubscribeResult> {
    const path = `${subscriptionsPath(channelId)}?ignoreErrors=${options.ignoreErrors === true}`;
    const body = topics.map((id) => ({ id }));
    const res = await this.call({ operation, method, path, body, signal: options.signal });
    return toSubscribeResult(res.text, topics);
  }

  private async call(spec: CallSpec): Promise<HttpResponse> {
    return (await this.authenticatedCall(spec)).response;
  }

  /**
   * One logical call: the attempt loop with the 401, 429, 5xx and budget rules. A 401 is answered once at once with a
   * fresh token (the token may have been revoked or expired early); a fresh token refused too is a transient auth
   * fault (issue 8): it is retried with backoff within `maxAttempts` and the retry budget, and if that runs out the
   * call fails with a retryable AuthError for the caller to back off from. Only the login host's refusal of the
   * client (invalid_client, invalid_grant) is fatal, and that comes from the TokenProvider.
   */
  private async authenticatedCall(spec: CallSpec): Promise<{ response: HttpResponse; tokenExpiresAt: number }> {
    this.budget.recordRequest();
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 4);
    let refreshedAfter401 = false;
    for (let attempt = 1; ;) {
      const token = await this.options.tokens.getToken(spec.signal, spec.token);
      const outcome = await this.exchange(spec, token, attempt);
      if (outcome.response) return { response: outcome.response, tokenExpiresAt: token.expiresAt };
      let error = outcome.error;
      if (outcome.status === 401) {
        this.options.tokens.invalidate(token);
        if (!refreshedAfter401) {
          refreshedAfter401 = true;
          continue;
        }
        error = new AuthError(`Genesys rejected a freshly issued token (${errorMessage(error)})`, {
          retryable: true,
          cause: error,
        });
      }
      const delayMs = this.retryDelayMs(error, attempt);
      if (delayMs === undefined || attempt >= maxAttempts || !this.budget.tryAcquireRetry()) throw error;
      attempt += 1;
      this.emit(() => this.options.onRetry?.({ operation: spec.operation, attempt, delayMs, error }));
      await this.clock.sleep(delayMs, spec.signal);
    }
  }

  /** Sends once; returns the accepted response, or the classified error and status. */
  private async exchange(
    spec: CallSpec,
    token: AccessToken,
    attempt: number,
  ): Promise<
    { response: HttpResponse; error?: never; status?: never } | { response?: never; error: RelayError; status?: number }
  > {
    const startedAt = this.clock.now();
    const what = `${spec.method} ${spec.path.split('?')[0] ?? spec.path}`;
    const report = (status: number | undefined, error?: RelayError): void =>
      this.emit(() =>
        this.options.onRequest?.({
          operation: spec.operation,
          attempt,
          durationMs: this.clock.now() - startedAt,
          ...(status === undefined ? {} : { status }),
          ...(error ? { error } : {}),
        }),
      );
    let res: HttpResponse;
    try {
      res = await this.transport.send(this.buildRequest(spec, token));
    } catch (err) {
      if (spec.signal?.aborted || !(err instanceof RelayError)) throw err;
      report(undefined, err);
      return { error: err };
    }
    if ((res.status >= 200 && res.status < 300) || spec.accept?.includes(res.status)) {
      report(res.status);
      return { response: res };
    }
    const error = apiErrorFromResponse(what, res, this.clock.now());
    report(res.status, error);
    return { error, status: res.status };
  }

  private buildRequest(spec: CallSpec, token: AccessToken): HttpRequest {
    const headers: Record<string, string> = { authorization: `Bearer ${token.value}`, accept: 'application/json' };
    const req: HttpRequest = { method: spec.method, url: `${this.apiBase}${spec.path}`, headers };
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      req.body = JSON.stringify(spec.body);
    }
    if (spec.signal) req.signal = spec.signal;
    if (spec.maxResponseBytes !== undefined) req.maxResponseBytes = spec.maxResponseBytes;
    return req;
  }

  /** How long to wait before the next attempt, or undefined when the error is not worth retrying. */
  private retryDelayMs(error: RelayError, attempt: number): number | undefined {
    if (!error.retryable) return undefined;
    if (error.retryAfterMs !== undefined) {
      // The server said when; earlier would be refused again and counts against the per-token rate limit.
      return error.retryAfterMs <= (this.options.maxRetryAfterMs ?? 180_000) ? error.retryAfterMs : undefined;
    }
    return computeBackoffMs(attempt - 1, this.options.backoff ?? defaultRestBackoff, this.options.random);
  }

  private emit(hook: () => void): void {
    try {
      hook();
    } catch {
      // Metrics hooks must never change the outcome of a call.
    }
  }
}

/**
 * Events must not travel in clear text when the API itself is HTTPS: a `connectUri` that is not `wss://` is refused
 * (a fatal configuration-class error). Only a plain `http://` API base (the local emulator) may hand out `ws://`.
 */
export function checkConnectUri(connectUri: string, apiBase: string): void {
  let scheme: string;
  try {
    scheme = new URL(connectUri).protocol;
  } catch {
    throw new ConfigError('connectUri', `Genesys returned a connectUri that is not a URL (${pathOf(connectUri)})`);
  }
  if (scheme === 'wss:') return;
  if (scheme === 'ws:' && new URL(apiBase).protocol === 'http:') return;
  throw new ConfigError(
    'connectUri',
    `Genesys returned a ${scheme}// connectUri for the API base ${apiBase}; only wss:// is accepted ` +
      '(ws:// only when the API base itself is plain http://, e.g. the local emulator). Check GENESYS_API_BASE and any proxy.',
  );
}

function subscriptionsPath(channelId: string): string {
  return `${CHANNELS}/${encodeURIComponent(channelId)}/subscriptions`;
}
