import { ApiError, AuthError, TopicError, type ErrorCode, type RelayError } from '../core/errors.ts';
import type { ControlFrame } from './events.ts';

/**
 * What to do after losing a socket or receiving a server signal:
 * - `reconnect`: HEAD the channel; reconnect to it if it still exists, else create a new one.
 * - `newChannel`: the channel is gone or useless; create a new one and subscribe it.
 * - `reauth`: the token behind the channel was revoked; invalidate it, then create a new channel.
 * - `fatal`: retrying cannot help (bad credentials, forbidden topics); stop and report.
 */
export type RecoveryAction = 'reconnect' | 'newChannel' | 'reauth' | 'fatal';

/** Control frames may also ask for a planned rollover, or need nothing at all. */
export type ControlAction = RecoveryAction | 'rollover' | 'ignore';

/** HTTP statuses on the WebSocket upgrade that mean "this channel id is no longer valid" (genesys-api.md §2.1). */
const CHANNEL_GONE_UPGRADE_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 410]);

/**
 * Close codes are deliberately NOT interpreted: Genesys documents none and says they "aren't meant to be
 * significant" (genesys-api.md §2.5). Any close means "reconnect; HEAD the channel; recreate it if 404". Only a
 * refused upgrade, where the HTTP status is the server's explicit word on the channel id, skips the HEAD.
 */
export function classifyClose(_code: number, _reason: string, httpStatus?: number): RecoveryAction {
  if (httpStatus !== undefined && CHANNEL_GONE_UPGRADE_STATUSES.has(httpStatus)) return 'newChannel';
  return 'reconnect';
}

/** One row per control frame kind (genesys-api.md §2.2, §2.4). */
export function classifyControl(frame: ControlFrame): ControlAction {
  switch (frame.kind) {
    case 'heartbeat':
    case 'pong':
      return 'ignore';
    case 'socketClosing':
      // Announced maintenance: about a minute to move to a new socket before the server closes this one.
      return 'rollover';
    case 'tokenRevoked':
      // The channel is bound to the token that created it; a new token needs a new channel.
      return 'reauth';
    case 'noLongerSubscribed':
      // Evicted (e.g. a 21st channel was created): this channel will carry nothing more.
      return 'newChannel';
    case 'system':
      // Unknown v2.system.* topics are informational until Genesys documents them.
      return 'ignore';
    case 'result':
      // `{"result":"404"}`: channel expired, replaced or its token expired. Other results answer socket-level
      // subscribes, which this client does not send.
      return frame.frame.result === '404' ? 'newChannel' : 'ignore';
  }
}

const FATAL_CODES: ReadonlySet<ErrorCode> = new Set([
  'GENESYS_RELAY_ERR_CONFIG',
  'GENESYS_RELAY_ERR_CLOSED',
  'GENESYS_RELAY_ERR_ILLEGAL_STATE',
]);

/** What a failed REST step (create, subscribe, HEAD) calls for. */
export type FailureAction = 'retry' | 'newChannel' | 'fatal';

export function classifyFailure(error: RelayError): FailureAction {
  if (error instanceof AuthError) return error.retryable ? 'retry' : 'fatal';
  if (error instanceof TopicError) return 'fatal';
  if (error instanceof ApiError) {
    if (error.status === 404) return 'newChannel';
    if (error.retryable || error.status === 408 || error.status === 429 || error.status >= 500) return 'retry';
    return 'fatal';
  }
  if (error.retryable) return 'retry';
  return FATAL_CODES.has(error.code) ? 'fatal' : 'retry';
}
