/**
 * Genesys Cloud Notification API emulator (genesys-api.md §7): OAuth client credentials, channels,
 * subscriptions, the notification WebSocket with heartbeats, and a control API for publishing events and
 * injecting faults. One HTTP server on one port serves every host by path:
 * - login: `POST /oauth/token`
 * - API: `/api/v2/notifications/...`
 * - streaming: WebSocket upgrade on `/channels/<channelId>`
 * - control: `GET /control/state`, `POST /control/publish`, `/control/faults`, `/control/generator`,
 *   `/control/reset-counters`, `/control/clients`
 */
export { startEmulator, type EmulatorHandle } from './server.ts';
export type { EmulatorOptions, EmulatorClient, BadChannelMode } from './options.ts';
export type { PublishResult } from './publisher.ts';
export { FAULT_KINDS, type FaultKind, type FaultSpec, type FaultResult } from './fault-spec.ts';
export type { EmulatorState, ChannelState, TokenState } from './state-view.ts';
export type { Counters, FaultTarget } from './context.ts';
export { startServiceNowFake } from './servicenow/index.ts';
export type {
  FakeImportSet,
  FakeImportSetTable,
  FakeRequestLog,
  FakeRow,
  ServiceNowFake,
  ServiceNowFakeOptions,
  ServiceNowFault,
  ServiceNowFaultKind,
} from './servicenow/index.ts';
