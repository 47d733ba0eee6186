import type { AvailableTopic, ChannelTopic } from './wire.ts';

/** A notification channel as the client tracks it. */
export interface Channel {
  id: string;
  /** Used verbatim to open the socket; never built by hand. */
  connectUri: string;
  /** Epoch ms from the server's `expires`. */
  expiresAt: number;
  /**
   * Epoch ms at which the token that created the channel expires; the channel may end then (genesys-api.md §2.1).
   * Absent when the implementation does not know it (no token-bound rollover then).
   */
  tokenExpiresAt?: number;
}

export interface CreateChannelOptions {
  /** Create the channel with a token that expires after this instant (a rollover ahead of the old token's expiry). */
  tokenMustOutlive?: number;
}

export interface SubscribeResult {
  /** Topics the server accepted (combined ids as sent). */
  permitted: string[];
  /** Topics refused, with the server's reason (only with ignoreErrors). */
  rejected: ChannelTopic[];
}

/**
 * The Notification API's REST calls (genesys-api.md §1). Implementations authenticate with a TokenProvider,
 * map ErrorBody responses to typed errors (ApiError, AuthError), honour Retry-After, and retry within a budget.
 */
export interface NotificationsApi {
  createChannel(signal?: AbortSignal, options?: CreateChannelOptions): Promise<Channel>;
  listChannels(includechannels?: 'token' | 'oauthclient', signal?: AbortSignal): Promise<Array<Partial<Channel>>>;
  /** HEAD: true if the channel exists and is valid, false on 404. */
  channelExists(channelId: string, signal?: AbortSignal): Promise<boolean>;
  getSubscriptions(channelId: string, signal?: AbortSignal): Promise<ChannelTopic[]>;
  /** PUT: replace the channel's subscriptions. */
  replaceSubscriptions(
    channelId: string,
    topics: readonly string[],
    options?: { ignoreErrors?: boolean; signal?: AbortSignal },
  ): Promise<SubscribeResult>;
  /** POST: add to the channel's subscriptions. */
  addSubscriptions(
    channelId: string,
    topics: readonly string[],
    options?: { ignoreErrors?: boolean; signal?: AbortSignal },
  ): Promise<SubscribeResult>;
  deleteSubscriptions(channelId: string, signal?: AbortSignal): Promise<void>;
  availableTopics(expand?: readonly string[], signal?: AbortSignal): Promise<AvailableTopic[]>;
}
