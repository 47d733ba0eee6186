import { GenesysRestClient } from '../genesys/rest-client.ts';
import { createWsSocketFactory } from '../session/socket.ts';
import { NotificationClientCore, type ClientPlatform } from './client-core.ts';
import { clientCredentialsParts, type ClientCredentialsOptions } from './client-credentials.ts';
import type { NotificationClientOptions } from './options.ts';

/** Node's adapters: the undici REST client and the `ws` socket. */
const nodePlatform: ClientPlatform = {
  buildApi: (tokens, apiBase, clock) =>
    new GenesysRestClient({ tokens, clock, ...(apiBase !== undefined ? { apiBase } : {}) }),
  sockets: (settings) =>
    createWsSocketFactory({
      clock: settings.clock,
      handshakeTimeoutMs: settings.connectTimeoutMs,
      // Frames above maxFrameBytes are skipped and reported by the parser, the socket kept; only frames over the
      // memory ceiling (which ws refuses to buffer: close 1009, a recorded gap) cost the connection.
      maxPayloadBytes: settings.maxPayloadBytes,
      closeTimeoutMs: settings.closeTimeoutMs,
    }),
};

/**
 * Keeps Genesys Cloud notification subscriptions alive and streams their events: shards topics over channels,
 * runs one Session (state machine) per shard, removes rollover duplicates, records gaps, and drains on close.
 * The machine is NotificationClientCore (client-core.ts); this is it on Node (undici, ws).
 */
export class NotificationClient extends NotificationClientCore {
  /**
   * A client for one OAuth client (client-credentials grant) that builds and owns its token provider and REST
   * client: a single `close()` closes them too, so nothing keeps the process alive afterwards.
   */
  static clientCredentials(options: ClientCredentialsOptions): NotificationClient {
    const { tokens, clientOptions } = clientCredentialsParts(options);
    const client = new NotificationClient(clientOptions);
    client.ownedTokens = tokens;
    return client;
  }

  constructor(options: NotificationClientOptions) {
    super(options, nodePlatform);
  }
}
