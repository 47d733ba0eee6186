import type { RelayError } from '../core/errors.ts';
import type { ParsedFrame } from '../envelope/parse-frame.ts';
import type { RolloverReason, SessionChannel, SocketLink, TimerName } from './state.ts';

/** Frames that steer the lifecycle (events are delivered straight through, never via the reducer). */
export type ControlFrame = Exclude<ParsedFrame, { kind: 'event' } | { kind: 'malformed' } | { kind: 'oversized' }>;

/**
 * Facts the shell reports to the reducer, in the past tense. Socket facts carry the generation of the socket they
 * came from; failures carry a `jitter` sample in [0, 1) drawn by the shell, which keeps the reducer pure.
 */
export type SessionEvent =
  | { type: 'started' }
  | { type: 'channelCreated'; channel: SessionChannel }
  | { type: 'channelCreateFailed'; error: RelayError; jitter: number }
  | { type: 'subscribed'; channelId: string }
  | { type: 'subscribeFailed'; channelId: string; error: RelayError; jitter: number }
  | { type: 'channelChecked'; channelId: string; exists: boolean }
  | { type: 'channelCheckFailed'; channelId: string; error: RelayError; jitter: number }
  | { type: 'socketOpened'; generation: number }
  | { type: 'socketClosed'; generation: number; code: number; reason: string; httpStatus?: number; jitter: number }
  | { type: 'socketStale'; generation: number; reason: string; jitter: number }
  | { type: 'controlReceived'; generation: number; frame: ControlFrame }
  | { type: 'timerFired'; timer: TimerName; at: number }
  | { type: 'topicsChanged' }
  | { type: 'rolloverRequested' }
  | { type: 'closeRequested' };

export type DiagnosticLevel = 'debug' | 'info' | 'warn' | 'error';

/** Commands the reducer asks the shell to carry out, in the imperative. */
export type SessionEffect =
  | {
      type: 'createChannel';
      purpose: 'initial' | 'recovery' | 'rollover';
      /** Create it with a token expiring after this instant (rolling over ahead of the old channel's token). */
      tokenMustOutlive?: number;
    }
  | { type: 'subscribe'; channel: SessionChannel }
  | { type: 'checkChannel'; channel: SessionChannel }
  | { type: 'openSocket'; channel: SessionChannel; generation: number }
  | { type: 'closeSocket'; generation: number; code: number; reason: string }
  | { type: 'terminateSocket'; generation: number }
  | { type: 'armTimer'; timer: TimerName; at: number }
  | { type: 'abortRequests' }
  | { type: 'invalidateToken' }
  | { type: 'rolledOver'; from: SocketLink; to: SocketLink; reason: RolloverReason }
  | { type: 'reportError'; error: RelayError }
  | { type: 'diagnostic'; level: DiagnosticLevel; message: string; data?: Record<string, unknown> };
