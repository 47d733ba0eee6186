import type { RelayError } from '../core/errors.ts';
import type { ChannelTopic } from '../genesys/wire.ts';
import type { Gap } from '../session/gap.ts';
import type { RolloverReason, SessionStateKind } from '../session/state.ts';

export interface ShardStateChange {
  shardId: string;
  state: SessionStateKind;
  previous: SessionStateKind;
  channelId: string | undefined;
  at: number;
}

export interface RolloverInfo {
  shardId: string;
  fromChannelId: string;
  toChannelId: string;
  reason: RolloverReason;
  at: number;
}

export interface RejectedTopics {
  shardId: string;
  channelId: string;
  rejected: ChannelTopic[];
}

/** The client's typed lifecycle events. */
export interface ClientEventMap {
  [event: string]: unknown[];
  state: [change: ShardStateChange];
  gap: [gap: Gap];
  error: [error: RelayError];
  rejectedTopics: [info: RejectedTopics];
  rollover: [info: RolloverInfo];
}

export interface ShardStatus {
  shardId: string;
  state: SessionStateKind;
  channelId: string | undefined;
  /** Epoch ms the current channel expires (extended by each renewal). */
  expiresAt: number | undefined;
  topics: number;
  /**
   * Epoch ms of the last frame of any kind (heartbeat, pong, event) on the shard's current socket, as its watchdog
   * saw it (the socket's open counts as the first); absent while the shard has no open socket.
   */
  lastFrameAt?: number;
}

export interface ClientStatus {
  phase: 'new' | 'starting' | 'running' | 'closing' | 'closed';
  shards: ShardStatus[];
  topics: number;
  /** Events waiting in the events() buffer. */
  buffered: number;
}
