import { systemClock } from '../core/clock.ts';
import { UndiciTransport } from './http-transport.ts';
import { GenesysRestApi, type GenesysRestClientOptions } from './rest-api.ts';

// The client itself is platform-neutral (rest-api.ts, also under the browser entry); this adds Node's transport.
export { checkConnectUri, GenesysRestApi } from './rest-api.ts';
export type { GenesysRestClientOptions, RestOperation, RestRequestEvent, RestRetryEvent } from './rest-api.ts';

/** The Notification API client on Node: GenesysRestApi with a keep-alive undici transport it owns by default. */
export class GenesysRestClient extends GenesysRestApi {
  constructor(options: GenesysRestClientOptions) {
    const transport =
      options.transport ??
      new UndiciTransport({
        clock: options.clock ?? systemClock,
        ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      });
    super({ ...options, transport }, options.transport === undefined);
  }
}
