/**
 * genesys-relay's public library surface: curated named exports, grouped by pipeline stage
 * (token → REST → topics → client → outbox → sinks → service). The emulator, the test kit and the NATS reader helper
 * have their own entry points (`genesys-relay/emulator`, `genesys-relay/testing`, `genesys-relay/nats`). No public
 * type needs an @types/* package of an internal dependency (pg, better-sqlite3, ws): only @types/node.
 */

// core
export { SystemClock, systemClock, type Clock, type TimerHandle } from './core/clock.ts';
export { computeBackoffMs, parseRetryAfterMs, type BackoffPolicy } from './core/backoff.ts';
export {
  ApiError,
  AuthError,
  ClosedError,
  ConfigError,
  NetworkError,
  RelayError,
  TimeoutError,
  TopicError,
  isRelayError,
  type ErrorCode,
} from './core/errors.ts';

// ① token and REST
export type { AccessToken, TokenProvider, TokenRequest } from './auth/token-provider.ts';
export { fetchClientCredentialsToken } from './auth/client-credentials.ts';
export {
  RefreshingTokenProvider,
  type RefreshingTokenProviderOptions,
  type TokenRefreshEvent,
} from './auth/refreshing-token-provider.ts';
export { GenesysRestClient, type GenesysRestClientOptions } from './genesys/rest-client.ts';
export type { Channel, CreateChannelOptions, NotificationsApi, SubscribeResult } from './genesys/notifications-api.ts';
export { REGIONS, resolveEndpoints, type Endpoints } from './genesys/regions.ts';
export type { NotificationFrame } from './genesys/wire.ts';

// ② topics
export { topics, combineTopics, expandTopic, planShards, diffShards, parseTopic, TopicSet } from './topics/index.ts';

// ③ client (sessions, rollover, gaps)
export {
  NotificationClient,
  type ClientCounters,
  type ClientCredentialsOptions,
  type ClientStatus,
  type Gap,
  type NotificationClientOptions,
  type ShardStatus,
} from './client/index.ts';
export { eventKey, type RelayEvent } from './envelope/envelope.ts';

// gap healing: re-read state over REST after a gap (docs/resync.md)
export {
  Resyncer,
  PacedReader,
  PendingGapFile,
  LastStateMap,
  resyncStrategies,
  presenceStrategy,
  conversationStrategy,
  type GapReport,
  type HealedState,
  type ResyncerOptions,
  type ResyncGap,
  type ResyncStatus,
  type ResyncStrategy,
  type StateReader,
} from './resync/index.ts';

// ④ outbox
export { SqliteOutbox, type CommittedAppends, type SqliteOutboxOptions } from './outbox/sqlite-outbox.ts';
export { Dispatcher, type DispatcherOptions } from './outbox/dispatcher.ts';
export type { Outbox } from './outbox/outbox.ts';

// ⑤ sinks
export type { BatchOutcome, DeliveryOutcome, Sink } from './sinks/sink.ts';
export { createNdjsonSink } from './sinks/ndjson/ndjson-sink.ts';
export { createWebhookSink, signWebhookBody, verifyWebhookSignature } from './sinks/webhook/index.ts';
export { createServiceNowSink, type ServiceNowSinkOptions } from './sinks/servicenow/index.ts';
export { createJetStreamSink, type JetStreamSinkOptions } from './sinks/nats/jetstream-sink.ts';
// ensureDurableConsumer (the reader's side, typed with @nats-io's own classes) lives in `genesys-relay/nats`, so
// that importing the library does not pull @nats-io's declarations into every consumer's type check.

// ⑥ service
export { createRelay, type Relay, type RelayOptions } from './service/relay.ts';
export { loadConfig, type LoadedConfig, type RelayConfig } from './config/load.ts';
export { PgLeaseStore, ShardCoordinator, type LeaseStore } from './coordination/index.ts';
