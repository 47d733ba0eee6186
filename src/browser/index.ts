// `genesys-relay/browser`: the notification client for browsers. Nothing reachable from here imports a Node
// built-in, ws, undici or better-sqlite3 (test/package/browser-bundle.test.ts bundles it and checks).
export { BrowserNotificationClient, type BrowserClientOptions } from './browser-client.ts';
export {
  SuppliedTokenProvider,
  type SuppliedToken,
  type TokenSupplier,
  type TokenSupplyRequest,
} from './supplied-token.ts';
export { FetchTransport, type FetchFunction, type FetchTransportOptions } from './fetch-transport.ts';
export { PageClock } from './page-clock.ts';
export {
  createWebSocketFactory,
  type PlatformWebSocket,
  type PlatformWebSocketConstructor,
  type WebSocketFactoryOptions,
} from './web-socket.ts';
export { eventKey, type RelayEvent, type RelayFields } from '../envelope/envelope.ts';
export {
  RelayError,
  AuthError,
  ApiError,
  NetworkError,
  ConfigError,
  TopicError,
  TimeoutError,
  ClosedError,
  type ErrorCode,
} from '../core/errors.ts';
export type { ClientLogger } from '../client/options.ts';
export type {
  ClientEventMap,
  ClientStatus,
  RejectedTopics,
  RolloverInfo,
  ShardStateChange,
  ShardStatus,
} from '../client/client-events.ts';
export type { ClientCounters } from '../client/counters.ts';
export type { OverflowPolicy } from '../client/event-queue.ts';
export type { Gap } from '../session/gap.ts';
export type { SessionConfig } from '../session/config.ts';
export type { SocketFactory, RelaySocket, SocketHandlers } from '../session/socket.ts';
