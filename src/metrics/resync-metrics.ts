import { Counter, Gauge, type Registry } from 'prom-client';

const PREFIX = 'genesys_relay_resync_';

/** Gap healing's metrics (src/resync), on the relay's registry. */
export interface ResyncMetrics {
  /** REST reads by endpoint (`presence_bulk`, `users`, `routing_status`, `conversation_details`, `conversation`). */
  readonly requests: Counter<'endpoint'>;
  readonly events: Counter<'strategy'>;
  /** Gaps by outcome: `healed`, `unhealed` (some topic had no strategy), `failed` (gave up after every attempt). */
  readonly gaps: Counter<'outcome'>;
  readonly unhealedTopics: Counter;
  readonly retries: Counter;
  readonly pending: Gauge;
}

/** `pendingOf` is read at each scrape. */
export function createResyncMetrics(registry: Registry, pendingOf: () => number): ResyncMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: `${PREFIX}requests_total`,
      help: 'REST reads made to re-read state after gaps.',
      labelNames: ['endpoint'],
      registers,
    }),
    events: new Counter({
      name: `${PREFIX}events_total`,
      help: 'Resync events committed (re-read states that differed from the last delivered).',
      labelNames: ['strategy'],
      registers,
    }),
    gaps: new Counter({
      name: `${PREFIX}gaps_total`,
      help: 'Gaps handled by gap healing, by outcome (healed, unhealed, failed).',
      labelNames: ['outcome'],
      registers,
    }),
    unhealedTopics: new Counter({
      name: `${PREFIX}unhealed_topics_total`,
      help: 'Topics of gaps that no resync strategy heals (their events in the gap stay lost).',
      registers,
    }),
    retries: new Counter({ name: `${PREFIX}retries_total`, help: 'Resync runs retried after a failure.', registers }),
    pending: new Gauge({
      name: `${PREFIX}pending`,
      help: 'Gaps waiting for, or inside, a resync.',
      registers,
      collect() {
        this.set(pendingOf());
      },
    }),
  };
}

/** The metric label of a resync REST path (ids stripped). */
export function resyncEndpointOf(path: string): string {
  const bare = path.split('?')[0] ?? path;
  if (bare.endsWith('/presences/purecloud/bulk')) return 'presence_bulk';
  if (bare.endsWith('/routingstatus')) return 'routing_status';
  if (bare === '/api/v2/users') return 'users';
  if (bare.endsWith('/conversations/details/query')) return 'conversation_details';
  if (bare.startsWith('/api/v2/conversations/')) return 'conversation';
  return 'other';
}
