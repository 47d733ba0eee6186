export { NotificationClient } from './notification-client.ts';
export type { NotificationClientOptions, ClientLogger } from './options.ts';
export type { ClientCredentialsOptions } from './client-credentials.ts';
export type { ClientCounters } from './counters.ts';
export type {
  ClientEventMap,
  ClientStatus,
  RejectedTopics,
  RolloverInfo,
  ShardStateChange,
  ShardStatus,
} from './client-events.ts';
export type { OverflowPolicy } from './event-queue.ts';
export type { Gap } from '../session/gap.ts';
export type { SessionConfig } from '../session/config.ts';
export type { SessionStateKind } from '../session/state.ts';
export type { SocketFactory, RelaySocket, SocketHandlers } from '../session/socket.ts';
export type { RelayEvent } from '../envelope/envelope.ts';
