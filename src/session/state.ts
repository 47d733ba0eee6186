import type { RelayError } from '../core/errors.ts';
import type { Channel } from '../genesys/notifications-api.ts';

/**
 * The lifecycle of one shard: one notification channel (two during a rollover) and its socket.
 *
 * ```
 *            start                channelCreated            subscribed
 *   idle ───────────▶ creatingChannel ──────────▶ subscribing ──────────▶ connecting ──socketOpened──▶ open
 *                        ▲   │ fail                  │ fail                  │ fail/close                 │
 *                        │   ▼                       ▼                       ▼                            │
 *                        │ backingOff ◀──────────────┴───────────────────────┘                            │
 *                        │   │ retry (next = createChannel | checkChannel)                                │
 *                        │   ▼                                                                            │
 *                        └─ checkingChannel (HEAD) ── exists ──▶ connecting (same channel)                │
 *                             ▲                                                                           │
 *                             └──────────────── socketClosed / stale (unplanned) ─────────────────────────┤
 *                                                                                                         │
 *   open ── socket_closing / expiring / renew failed ──▶ rollingOver (old socket keeps delivering)        │
 *        ── creating token about to expire ──────────▶ (the same, with a token that outlives the old one) │
 *        create → subscribe → connect the replacement; when it opens, close the old one ──▶ open ◀────────┘
 *
 *   any state ── closeRequested ──▶ closing (close frames; terminate at deadline) ──▶ closed
 *   any state ── fatal error ─────▶ closed { cause }
 * ```
 *
 * Data lives only in the state where it is valid ("open without a channel" cannot be written). Every waiting
 * state carries a `deadlineAt`; every variant carries `generation`, the highest socket generation issued so far
 * (in `connecting`/`open`/`rollingOver` it is the current socket's), so events from an older socket are
 * recognised as stale.
 */
export type SessionState =
  | { kind: 'idle'; generation: number }
  | { kind: 'creatingChannel'; generation: number; attempt: number; deadlineAt: number }
  | { kind: 'subscribing'; generation: number; channel: SessionChannel; attempt: number; deadlineAt: number }
  | {
      kind: 'connecting';
      generation: number;
      channel: SessionChannel;
      attempt: number;
      /** Consecutive failed connects to this same channel; past a limit we escalate to a new channel. */
      sameChannelFailures: number;
      deadlineAt: number;
    }
  | {
      kind: 'open';
      generation: number;
      channel: SessionChannel;
      /** Consecutive failed recoveries before this socket opened (reset once it has been stable). */
      attempt: number;
      openedAt: number;
      /** When to re-PUT the subscriptions to extend the channel's lifetime. */
      renewAt: number;
      /** A subscription PUT (renewal or topic change) is in flight. */
      putInFlight: boolean;
      /** Topics changed while a PUT was in flight: send another when it ends. */
      putQueued: boolean;
      /** A rollover that failed and is retried when the renew timer fires (instead of a plain renewal). */
      retryRollover: RolloverReason | undefined;
    }
  | {
      kind: 'checkingChannel';
      generation: number;
      channel: SessionChannel;
      attempt: number;
      sameChannelFailures: number;
      deadlineAt: number;
    }
  | {
      kind: 'rollingOver';
      generation: number;
      /** The old socket, still open and delivering until the replacement is. */
      from: SocketLink;
      phase: RolloverPhase;
      /** The replacement channel, once created. */
      to: SessionChannel | undefined;
      reason: RolloverReason;
      deadlineAt: number;
    }
  | {
      kind: 'backingOff';
      generation: number;
      attempt: number;
      retryAt: number;
      next: 'createChannel' | 'subscribe' | 'checkChannel';
      /** The channel to subscribe or check again (absent when `next` is createChannel). */
      channel: SessionChannel | undefined;
      sameChannelFailures: number;
      cause: RelayError;
    }
  | { kind: 'closing'; generation: number; sockets: readonly number[]; deadlineAt: number }
  | { kind: 'closed'; generation: number; cause: RelayError | undefined };

export type SessionStateKind = SessionState['kind'];

/** A channel plus the lifetime the server granted at creation, used to predict the expiry after an extension. */
export interface SessionChannel extends Channel {
  ttlMs: number;
  /** Lifetime left to the creating token when the channel was created (sizes the token rollover lead). */
  tokenTtlMs?: number;
}

export interface SocketLink {
  channel: SessionChannel;
  generation: number;
}

export type RolloverPhase = 'creatingChannel' | 'subscribing' | 'connecting';

/** Why a planned, make-before-break rollover started. */
export type RolloverReason = 'socketClosing' | 'renewFailed' | 'requested' | 'tokenExpiring';

export type TimerName = 'deadline' | 'retry' | 'renew';

/** The socket a state is currently reading events from, if any (a gap is any time without one). */
export function liveSocket(state: SessionState): SocketLink | undefined {
  if (state.kind === 'open') return { channel: state.channel, generation: state.generation };
  if (state.kind === 'rollingOver') return state.from;
  return undefined;
}

/** The channel a state is using or about to use, for status reporting. */
export function currentChannel(state: SessionState): SessionChannel | undefined {
  switch (state.kind) {
    case 'subscribing':
    case 'connecting':
    case 'open':
    case 'checkingChannel':
      return state.channel;
    case 'rollingOver':
      return state.from.channel;
    case 'backingOff':
      return state.channel;
    case 'idle':
    case 'creatingChannel':
    case 'closing':
    case 'closed':
      return undefined;
  }
}
