import { NotificationClientCore, type ClientPlatform } from '../client/client-core.ts';
import type { NotificationClientOptions } from '../client/options.ts';
import { resolveEndpoints } from '../genesys/regions.ts';
import { GenesysRestApi } from '../genesys/rest-api.ts';
import { FetchTransport, type FetchFunction } from './fetch-transport.ts';
import { PageClock } from './page-clock.ts';
import { SuppliedTokenProvider, type TokenSupplier } from './supplied-token.ts';
import { createWebSocketFactory, type PlatformWebSocketConstructor } from './web-socket.ts';

export interface BrowserClientOptions extends Omit<NotificationClientOptions, 'api' | 'apiBase' | 'tokens'> {
  /**
   * The page's token (implicit grant or PKCE), asked for when the client has none and again after Genesys refused
   * it (`rejected: true`). Never a client secret: anything in a page is readable by whoever loads it.
   */
  getToken: TokenSupplier;
  /** A Genesys Cloud region (`mypurecloud.ie`) or SDK key (`eu_west_1`). @default 'mypurecloud.com' */
  region?: string | undefined;
  /** Overrides the region's API host (a proxy, the emulator). */
  apiBase?: string | undefined;
  /** Deadline of one REST exchange. @default 30000 */
  requestTimeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: FetchFunction;
  /** @default globalThis.WebSocket */
  WebSocket?: PlatformWebSocketConstructor;
}

/**
 * The NotificationClient for browsers (and any runtime with WHATWG `fetch` and `WebSocket`): the same session
 * state machine, sharding, rollover, de-duplication and gap records as on Node (NotificationClientCore), over
 * `fetch`, the platform's WebSocket and timers (PageClock), with the token supplied by the page.
 */
export class BrowserNotificationClient extends NotificationClientCore {
  constructor(options: BrowserClientOptions) {
    const { getToken, region, apiBase, requestTimeoutMs, fetch, WebSocket, ...clientOptions } = options;
    const endpoints = resolveEndpoints(region, apiBase === undefined ? {} : { apiBase });
    const platform: ClientPlatform = {
      buildApi: (tokens, base, clock) =>
        new GenesysRestApi(
          {
            tokens,
            clock,
            ...(base === undefined ? {} : { apiBase: base }),
            transport: new FetchTransport({
              clock,
              ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
              ...(fetch === undefined ? {} : { fetch }),
            }),
          },
          true,
        ),
      sockets: (settings) =>
        createWebSocketFactory({
          clock: settings.clock,
          connectTimeoutMs: settings.connectTimeoutMs,
          closeTimeoutMs: settings.closeTimeoutMs,
          ...(WebSocket === undefined ? {} : { WebSocket }),
        }),
    };
    const clock = clientOptions.clock ?? new PageClock();
    const tokens = new SuppliedTokenProvider(getToken);
    super({ ...clientOptions, clock, apiBase: endpoints.apiBase, tokens }, platform);
  }
}
