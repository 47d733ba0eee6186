import { isRecord } from '../core/json.ts';
import type { FaultTarget } from './context.ts';

export const FAULT_KINDS = [
  'drop',
  'close',
  'socket-closing',
  'zombie',
  'expire-channel',
  'evict-channel',
  'revoke-token',
  'reject-token',
  'rate-limit',
  'server-error',
  'malformed-frame',
  'pong-delay',
  'pong-drop',
  'ws-subscribe-error',
  'deny-topic',
  'clear',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault to inject; which fields matter depends on `kind` (see README of the control API in index.ts). */
export interface FaultSpec {
  kind: FaultKind;
  /** Target channel. @default every channel with a socket */
  channelId?: string;
  /** `close`: close code (1006 destroys the TCP connection instead). @default 1001 */
  code?: number;
  /** `close`: close reason. @default 'idle timeout' */
  reason?: string;
  /** `socket-closing`: send the warning frame first. @default true */
  warn?: boolean;
  /** `socket-closing`: delay before the close. @default socketClosingLeadMs (0 when warn is false) */
  leadMs?: number;
  /** `revoke-token`: a token value or public id (`t1`). @default every token of `clientId` */
  token?: string;
  /** `revoke-token`, `deny-topic`: the OAuth client. @default every client */
  clientId?: string;
  /**
   * `rate-limit`, `server-error`, `ws-subscribe-error`: how many calls; `pong-drop`: how many pongs; `reject-token`:
   * how many of the next issued tokens are refused (401) on their first API request. @default 1 (pong-drop: all)
   */
  count?: number;
  /** `rate-limit`: Retry-After seconds. @default 1 */
  retryAfterS?: number;
  /** `server-error`: HTTP status. @default 503 */
  status?: number;
  /** `rate-limit`, `server-error`: which requests. @default 'api' */
  target?: FaultTarget;
  /** `rate-limit`, `server-error`: only requests whose `METHOD /path` contains this, e.g. `subscriptions`. @default all */
  match?: string;
  /** `malformed-frame`: the raw text sent. @default '{"topicName":"v2.users' */
  payload?: string;
  /** `pong-delay`: delay before each pong. @default 0 */
  delayMs?: number;
  /** `deny-topic`: exact topic or regular-expression source. */
  pattern?: string;
}

export interface FaultResult {
  /** Number of targets (sockets, channels, tokens, clients or armed calls) the fault applied to. */
  applied: number;
}

const NUMBER_FIELDS = ['code', 'leadMs', 'count', 'retryAfterS', 'status', 'delayMs'] as const;
const STRING_FIELDS = ['channelId', 'reason', 'token', 'clientId', 'payload', 'pattern', 'match'] as const;

/** Validates a control-API body into a FaultSpec, or returns an error message. */
export function parseFaultSpec(body: unknown): FaultSpec | string {
  if (!isRecord(body)) return 'Expected a JSON object with a "kind".';
  const kind = body.kind;
  if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) {
    return `Unknown fault kind ${JSON.stringify(kind)}; expected one of: ${FAULT_KINDS.join(', ')}.`;
  }
  for (const field of NUMBER_FIELDS) {
    const value = body[field];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      return `"${field}" must be a non-negative number.`;
    }
  }
  for (const field of STRING_FIELDS) {
    if (body[field] !== undefined && typeof body[field] !== 'string') return `"${field}" must be a string.`;
  }
  if (body.warn !== undefined && typeof body.warn !== 'boolean') return '"warn" must be a boolean.';
  if (body.target !== undefined && !['api', 'login', 'all'].includes(body.target as string)) {
    return '"target" must be one of api, login, all.';
  }
  if (kind === 'deny-topic' && typeof body.pattern !== 'string') return 'deny-topic needs a "pattern".';
  return body as unknown as FaultSpec;
}
