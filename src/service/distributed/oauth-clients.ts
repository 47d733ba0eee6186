import { RefreshingTokenProvider, type TokenRefreshEvent } from '../../auth/refreshing-token-provider.ts';
import type { TokenProvider } from '../../auth/token-provider.ts';
import type { OauthClientConfig } from '../../config/coordination.ts';
import type { Clock } from '../../core/clock.ts';
import { ConfigError } from '../../core/errors.ts';
import type { NotificationsApi } from '../../genesys/notifications-api.ts';
import { GenesysRestClient } from '../../genesys/rest-client.ts';

/** One OAuth client's token source and REST API; shards assigned to it create their channels through it. */
export interface OauthClientHandle {
  clientId: string;
  tokens: TokenProvider;
  api: NotificationsApi;
}

export interface OauthClientsOptions {
  /** The relay's own client (genesys.clientId): index 0, already built. */
  primary: OauthClientHandle;
  /** genesys.clients, with secrets resolved by load.ts. */
  extra: readonly OauthClientConfig[];
  apiBase: string;
  loginBase: string;
  clock: Clock;
  onRefresh: (clientId: string, event: TokenRefreshEvent) => void;
}

/**
 * Every OAuth client of a distributed worker, index = the shard plan's `clientIndex`. Extra clients get their own
 * token provider and REST client, built up front (cheap, no request until a shard uses them) and closed together.
 */
export class OauthClients {
  readonly all: readonly OauthClientHandle[];
  private readonly owned: Array<{ tokens: RefreshingTokenProvider; api: GenesysRestClient }> = [];

  constructor(options: OauthClientsOptions) {
    const extra = options.extra.map((config, i) => {
      if (!config.clientSecret) {
        throw new ConfigError(`genesys.clients[${i}].clientSecret`, 'missing — set clientSecret or clientSecretFile');
      }
      const tokens = RefreshingTokenProvider.clientCredentials({
        loginBase: options.loginBase,
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        clock: options.clock,
        onRefresh: (event) => options.onRefresh(config.clientId, event),
      });
      const api = new GenesysRestClient({ apiBase: options.apiBase, tokens, clock: options.clock });
      this.owned.push({ tokens, api });
      return { clientId: config.clientId, tokens, api };
    });
    this.all = [options.primary, ...extra];
  }

  /** The client for a shard's `clientIndex`. */
  at(index: number): OauthClientHandle {
    const handle = this.all[index % this.all.length];
    if (!handle) throw new ConfigError('genesys.clients', 'no OAuth client configured');
    return handle;
  }

  /** Closes the extra clients (the primary belongs to the relay). */
  async close(): Promise<void> {
    for (const { tokens } of this.owned) tokens.close();
    await Promise.allSettled(this.owned.map(({ api }) => api.close()));
  }
}
