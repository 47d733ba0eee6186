import type { RefreshingTokenProvider, TokenRefreshEvent } from '../../auth/refreshing-token-provider.ts';
import type { CoordinationConfig } from '../../config/coordination.ts';
import type { RelayEvent } from '../../envelope/envelope.ts';
import type { NotificationsApi } from '../../genesys/notifications-api.ts';
import { OUTBOX_APPENDS_IN_FLIGHT, type PipelineContext } from '../pipeline.ts';
import { clientTimings } from '../relay-options.ts';
import { DistributedClient } from './distributed-client.ts';
import { OauthClients } from './oauth-clients.ts';
import { planDistributedShards } from './shard-plan.ts';

export interface DistributedDeps {
  /** The relay's own OAuth client (genesys.clientId): its REST client and token source, already built. */
  api: NotificationsApi;
  tokens: RefreshingTokenProvider;
  apiBase: string;
  loginBase: string;
  /** The relay's commit to the outbox; awaited before the shard's next event. */
  onEvent: (event: RelayEvent) => Promise<void>;
  /** Token refreshes of the extra OAuth clients, for metrics and the audit trail. */
  onTokenRefresh: (event: TokenRefreshEvent) => void;
}

/**
 * Distributed mode's event source for createRelay (③④ when `coordination` is configured): plans the shards from
 * the FULL topic list (the same on every worker), spreads them over genesys.clientId + genesys.clients, and leases
 * them through `coordination.url`. Throws ConfigError when the topics need more OAuth clients than configured.
 */
export function createDistributedClient(
  ctx: PipelineContext,
  coordination: CoordinationConfig,
  deps: DistributedDeps,
): DistributedClient {
  const { config, clock, logger } = ctx;
  const shards = planDistributedShards(config.topics, {
    maxTopicsPerChannel: config.session.maxTopicsPerChannel,
    maxChannels: config.session.maxChannels,
    clients: 1 + config.genesys.clients.length,
    shards: coordination.shards,
  });
  const oauth = new OauthClients({
    primary: { clientId: config.genesys.clientId, api: deps.api, tokens: deps.tokens },
    extra: config.genesys.clients,
    apiBase: deps.apiBase,
    loginBase: deps.loginBase,
    clock,
    onRefresh: (_clientId, event) => deps.onTokenRefresh(event),
  });
  return new DistributedClient({
    coordination,
    shards,
    oauth,
    base: {
      clock,
      ...clientTimings(config.session),
      logger: logger.child({ component: 'client' }),
      onEvent: deps.onEvent,
      onEventConcurrency: OUTBOX_APPENDS_IN_FLIGHT,
    },
    logger: logger.child({ component: 'coordination' }),
    clock,
    registry: ctx.metrics.registry,
  });
}
