/**
 * Gap healing (issue 11): Genesys has no replay, so after a gap the relay re-reads over REST the state behind the
 * gap's topics and delivers it like any event (`relay.source: "resync"`). A strategy knows one topic family: how to
 * recognise its entities in live events, and how to re-read their current state in the live `eventBody` shape.
 */

/** An interval in which events of `topics` may have been lost, with a stable id (resync keys derive from it). */
export interface ResyncGap {
  id: string;
  /** Epoch ms. */
  startAt: number;
  endAt: number;
  /** Subscribed topic ids (combined ones are expanded by the resyncer). */
  topics: readonly string[];
  reason: string;
}

/** What `relay.gap` carries on a resync event. */
export interface GapRef {
  id: string;
  startAt: string;
  endAt: string;
}

/** REST reads on the relay's own client: same token, 429 Retry-After, retry budget (GenesysRestClient.readState). */
export interface StateReader {
  /** Parsed JSON body; undefined for a 404 when `accept404` is set. */
  get(path: string, options?: { accept404?: boolean; signal?: AbortSignal }): Promise<unknown>;
  /** `maxResponseBytes`: this call's body cap, for answers known to outgrow the client's default (1 MiB). */
  post(path: string, body: unknown, options?: { signal?: AbortSignal; maxResponseBytes?: number }): Promise<unknown>;
}

/** One entity's state as a strategy identifies it: `entity` names it, `fingerprint` compares states. */
export interface EntityState {
  entity: string;
  fingerprint: string;
}

/** A re-read state, ready to be delivered as an event of `topicName`. */
export interface HealedState extends EntityState {
  topicName: string;
  eventBody: Record<string, unknown>;
  /** Epoch ms the state took effect, when the source says (presence modifiedDate, routing startTime). */
  changedAt?: number;
}

/** What a strategy gets for one heal. */
export interface HealContext {
  gap: ResyncGap;
  reader: StateReader;
  signal: AbortSignal;
  /** Epoch ms the re-read started: changes after it reach the relay live. */
  readStartedAt: number;
}

/** Heals one family of topics. Register your own with `ResyncerOptions.strategies` (tried before the shipped ones). */
export interface ResyncStrategy {
  /** Stable name for metrics, audit lines and config (`presence`, `conversations`). */
  readonly name: string;
  /** True for an expanded topic name (`v2.users.<id>.presence`) this strategy re-reads. */
  handles(topicName: string): boolean;
  /** The entity and state a live event of a handled topic carries, or undefined if it has none. */
  identify(topicName: string, eventBody: unknown): EntityState | undefined;
  /** Re-reads the current state behind `topics` (all handled by this strategy). Throws when it cannot finish. */
  heal(topics: readonly string[], context: HealContext): Promise<HealedState[]>;
}
