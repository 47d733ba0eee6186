/**
 * Wire shapes of the Genesys Cloud Notification API, shared by the client and the emulator.
 * Source for every shape: Genesys' published Notification API reference and its SDKs' models. Types only, no behaviour.
 */

/** `POST login.<domain>/oauth/token` success body (client-credentials grant). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
}

/** Token-endpoint error body: a different shape from the API's ErrorBody. */
export interface OAuthErrorBody {
  error: string;
  description: string;
  error_description: string;
}

/** The standard API error body (`ErrorBody` in the SDKs). */
export interface ErrorBody {
  message?: string;
  code?: string;
  status?: number;
  entityId?: string;
  entityName?: string;
  messageWithParams?: string;
  messageParams?: Record<string, string>;
  contextId?: string;
  details?: Array<{ errorCode?: string; fieldName?: string; entityId?: string; entityName?: string }>;
  errors?: ErrorBody[];
  limit?: { key?: string; namespace?: string; value?: number };
}

/** `POST /api/v2/notifications/channels` response. `expires` is ISO-8601 with milliseconds, UTC. */
export interface ChannelBody {
  connectUri: string;
  id: string;
  expires: string;
}

export interface ChannelEntityListing {
  entities: Array<Partial<ChannelBody>>;
}

export type TopicState = 'Permitted' | 'Rejected';

export interface ChannelTopic {
  id: string;
  state?: TopicState;
  rejectionReason?: string;
  missingPermissions?: string[];
  selfUri?: string;
}

export interface ChannelTopicEntityListing {
  entities: ChannelTopic[];
}

export interface AvailableTopic {
  id: string;
  description?: string;
  requiresPermissions?: string[];
  requiresCurrentUser?: boolean;
  requiresCurrentUserOrPermission?: boolean;
  transports?: string[];
  visibility?: 'Public' | 'Preview';
  topicParameters?: string[];
  enforced?: boolean;
  schema?: Record<string, unknown>;
}

/** An event frame on the socket. `metadata` may carry keys beyond CorrelationId. */
export interface NotificationFrame<Body = unknown> {
  topicName: string;
  version?: string;
  eventBody: Body;
  metadata?: { CorrelationId?: string; [key: string]: unknown };
}

/** `SystemMessage` body of `v2.system.*` frames. */
export interface SystemMessageBody {
  channelId?: string;
  systemTopicType?: string;
  correlationId?: string;
  organizationId?: string;
  userId?: string;
  oauthClientId?: string;
  oauthClientOrgId?: string;
  reason?: string;
  message?: string;
  data?: unknown;
}

/** Reply to a socket-level subscribe, or a channel-gone notice. `result` is a string on the wire. */
export interface ResultFrame {
  correlationId?: string;
  topics?: string[];
  result: string;
  status?: string;
  message?: string;
}

/** Frames a client may send. */
export type ClientFrame =
  { message: 'ping' } | { message: 'subscribe' | 'unsubscribe'; topics: string[]; correlationId: string };

export const HEARTBEAT_TOPIC = 'channel.metadata';
export const HEARTBEAT_MESSAGE = 'WebSocket Heartbeat';
export const PONG_MESSAGE = 'pong';
export const SOCKET_CLOSING_TOPIC = 'v2.system.socket_closing';
export const SYSTEM_TOPIC_PREFIX = 'v2.system.';
export const TOKEN_REVOKED_PREFIX = 'v2.system.token_revoked.';
export const NO_LONGER_SUBSCRIBED_PREFIX = 'v2.system.no_longer_subscribed.';

/** Service limits (genesys-api.md §3). */
export const MAX_CHANNELS_PER_CLIENT = 20;
export const MAX_TOPICS_PER_CHANNEL = 1000;
/** A combined topic must be shorter than this. */
export const MAX_COMBINED_TOPIC_LENGTH = 200;
