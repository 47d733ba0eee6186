import type { FaultKind, FaultSpec } from '../src/emulator/index.ts';

/**
 * What a fault should do to the relay, which decides when the scheduler considers it over:
 * - `disruptive`: a socket is lost; expect a gap, then recovery (all shards live, events flowing again);
 * - `planned`: a warned socket_closing; expect a make-before-break rollover with no gap and no loss;
 * - `benign`: nothing should break (a bad frame, an armed fault nothing consumes); expect events to keep flowing.
 */
export type FaultEffect = 'disruptive' | 'planned' | 'benign';

export interface FaultVariant {
  /** Stable name used in the report, e.g. `close-1001`. */
  name: string;
  effect: FaultEffect;
  /** Whether it may hit one channel instead of every channel. */
  targetable: boolean;
  /** May run only once per soak (irreversible). */
  once?: boolean;
  /** The control-API faults to inject, in order; `channelId` is set when one channel is targeted. */
  specs(target: FaultTarget): FaultSpec[];
}

export interface FaultTarget {
  channelId: string | undefined;
  /** Topic sacrificed to the deny-topic fault. */
  canaryTopic: string;
  /** Scaled pong timeout of the client, so pong-delay is long enough to count as missing. */
  pongTimeoutMs: number;
}

const on = (target: FaultTarget): Partial<FaultSpec> =>
  target.channelId === undefined ? {} : { channelId: target.channelId };

/**
 * Every fault kind the emulator offers (FAULT_KINDS), some in several flavours. HTTP faults (429, 5xx) are armed for
 * the next calls and then provoked with a socket fault, so that they hit the recovery path rather than lingering
 * until some later, unrelated fault.
 */
export const FAULT_VARIANTS: readonly FaultVariant[] = [
  { name: 'drop', effect: 'disruptive', targetable: true, specs: (t) => [{ kind: 'drop', ...on(t) }] },
  {
    name: 'close-1001',
    effect: 'disruptive',
    targetable: true,
    specs: (t) => [{ kind: 'close', code: 1001, ...on(t) }],
  },
  {
    name: 'close-1006',
    effect: 'disruptive',
    targetable: true,
    specs: (t) => [{ kind: 'close', code: 1006, ...on(t) }],
  },
  {
    name: 'close-1011',
    effect: 'disruptive',
    targetable: true,
    specs: (t) => [{ kind: 'close', code: 1011, reason: 'internal error', ...on(t) }],
  },
  { name: 'socket-closing', effect: 'planned', targetable: true, specs: (t) => [{ kind: 'socket-closing', ...on(t) }] },
  {
    name: 'socket-closing-unwarned',
    effect: 'disruptive',
    targetable: true,
    specs: (t) => [{ kind: 'socket-closing', warn: false, ...on(t) }],
  },
  { name: 'zombie', effect: 'disruptive', targetable: true, specs: (t) => [{ kind: 'zombie', ...on(t) }] },
  {
    name: 'expire-channel',
    effect: 'disruptive',
    targetable: true,
    specs: (t) => [{ kind: 'expire-channel', ...on(t) }],
  },
  {
    name: 'evict-channel',
    effect: 'disruptive',
    targetable: true,
    specs: (t) => [{ kind: 'evict-channel', ...on(t) }],
  },
  { name: 'revoke-token', effect: 'disruptive', targetable: false, specs: () => [{ kind: 'revoke-token' }] },
  {
    // A fresh token refused once (a transient auth fault): the client must retry it, not give the shard up.
    name: 'reject-token+revoke',
    effect: 'disruptive',
    targetable: false,
    specs: () => [{ kind: 'reject-token', count: 1 }, { kind: 'revoke-token' }],
  },
  {
    name: 'rate-limit+drop',
    effect: 'disruptive',
    targetable: true,
    specs: (t) => [
      { kind: 'rate-limit', count: 2, retryAfterS: 1, target: 'api' },
      { kind: 'drop', ...on(t) },
    ],
  },
  {
    name: 'rate-limit-login',
    effect: 'benign',
    targetable: false,
    specs: () => [{ kind: 'rate-limit', count: 1, retryAfterS: 1, target: 'login' }],
  },
  {
    name: 'server-error+expire',
    effect: 'disruptive',
    targetable: true,
    specs: (t) => [
      { kind: 'server-error', count: 3, status: 503 },
      { kind: 'expire-channel', ...on(t) },
    ],
  },
  {
    name: 'malformed-frame',
    effect: 'benign',
    targetable: true,
    specs: (t) => [{ kind: 'malformed-frame', ...on(t) }],
  },
  {
    name: 'pong-delay',
    effect: 'disruptive',
    targetable: true,
    specs: (t) => [{ kind: 'pong-delay', delayMs: t.pongTimeoutMs * 3, ...on(t) }],
  },
  { name: 'pong-drop', effect: 'disruptive', targetable: true, specs: (t) => [{ kind: 'pong-drop', ...on(t) }] },
  {
    name: 'ws-subscribe-error',
    effect: 'benign',
    targetable: false,
    specs: () => [{ kind: 'ws-subscribe-error', count: 1 }],
  },
  {
    name: 'deny-topic',
    effect: 'benign',
    targetable: false,
    once: true,
    specs: (t) => [{ kind: 'deny-topic', pattern: t.canaryTopic }],
  },
  { name: 'clear', effect: 'benign', targetable: false, specs: () => [{ kind: 'clear' }] },
];

/** Fault kinds the catalogue covers (checked against the emulator's FAULT_KINDS by the tests). */
export function coveredKinds(): Set<FaultKind> {
  const kinds = new Set<FaultKind>();
  const target: FaultTarget = { channelId: undefined, canaryTopic: 'x', pongTimeoutMs: 1 };
  for (const variant of FAULT_VARIANTS) for (const spec of variant.specs(target)) kinds.add(spec.kind);
  return kinds;
}
