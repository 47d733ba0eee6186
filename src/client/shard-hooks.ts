import type { Clock } from '../core/clock.ts';
import type { RelayError } from '../core/errors.ts';
import type { Gap } from '../session/gap.ts';
import type { SessionHooks } from '../session/session.ts';
import { currentChannel } from '../session/state.ts';
import type { ClientEventMap } from './client-events.ts';
import type { ClientCounters } from './counters.ts';
import type { EventDelivery } from './event-delivery.ts';
import type { ClientLogger } from './options.ts';
import type { TypedEmitter } from './typed-emitter.ts';

/** What a shard's session reports into: the client's counters, emitter, logger and event path. */
export interface ShardHost {
  counters: ClientCounters;
  emitter: TypedEmitter<ClientEventMap>;
  logger: ClientLogger;
  clock: Clock;
  delivery: EventDelivery;
  /** How long after a rollover or reconnect events are still checked for copies. */
  copiesGraceMs: number;
  onGap(gap: Gap): void;
  reportError(error: RelayError, shardId: string): void;
  invalidateToken(): void;
}

/** Turns one session's reports into client counters, log lines and typed lifecycle events. */
export function shardHooks(shardId: string, host: ShardHost): SessionHooks {
  const { counters, emitter, logger, delivery } = host;
  let opened = false;
  // Copies arise only while two channels overlap (rollover) or around a reconnect: from the moment the shard
  // leaves `open` until copiesGraceMs after it is open again. Outside that window nothing is de-duplicated.
  let copiesUntil = Number.NEGATIVE_INFINITY;
  return {
    onEvent: (parsed, _raw, channelId, receivedAt) =>
      delivery.accept(parsed.frame, parsed.correlationId, channelId, receivedAt, receivedAt <= copiesUntil),
    onMalformed: (reason, channelId) => {
      counters.malformedFrames++;
      logger.warn({ shardId, channelId, reason }, 'malformed frame skipped');
    },
    onOversized: ({ bytes, topic, correlationId }, channelId) => {
      counters.oversizedFrames++;
      // An audit line (same shape as src/logging's audit()): an operator must see each event the relay did not pass on.
      const fields = { audit: true, event: 'frame.oversized', shardId, channelId, topic, correlationId, bytes };
      logger.warn(
        fields,
        `frame of ${bytes} bytes over maxFrameBytes skipped (socket kept): ${topic ?? 'unknown topic'}`,
      );
    },
    onStateChange: (state, previous) => {
      // Opening from `connecting` after a first open is a recovery; rollovers open from `rollingOver`.
      if (state.kind === 'open' && previous.kind === 'connecting') {
        if (opened) counters.reconnects++;
        opened = true;
      }
      const leftOpen = previous.kind === 'open' && state.kind !== 'open';
      if (leftOpen && state.kind !== 'closing' && state.kind !== 'closed') {
        copiesUntil = Number.POSITIVE_INFINITY;
      } else if (state.kind === 'open' && copiesUntil === Number.POSITIVE_INFINITY) {
        copiesUntil = host.clock.now() + host.copiesGraceMs;
      }
      logger.debug({ shardId, state: state.kind, previous: previous.kind }, 'shard state');
      const channelId = currentChannel(state)?.id;
      emitter.emit('state', { shardId, state: state.kind, previous: previous.kind, channelId, at: host.clock.now() });
    },
    onGap: (gap) => host.onGap(gap),
    onRollover: (info) => {
      counters.rollovers++;
      const fromChannelId = info.from.channel.id;
      const toChannelId = info.to.channel.id;
      logger.info({ shardId, from: fromChannelId, to: toChannelId, reason: info.reason }, 'rolled over');
      emitter.emit('rollover', { shardId, fromChannelId, toChannelId, reason: info.reason, at: info.at });
    },
    onRejectedTopics: (rejected, channelId) => {
      counters.rejectedTopics += rejected.length;
      logger.warn({ shardId, channelId, rejected: rejected.map((t) => t.id) }, 'topics rejected');
      emitter.emit('rejectedTopics', { shardId, channelId, rejected });
    },
    onError: (error) => host.reportError(error, shardId),
    onInvalidateToken: () => host.invalidateToken(),
    onDiagnostic: (level, message, data) => logger[level]({ shardId, ...data }, message),
  };
}
