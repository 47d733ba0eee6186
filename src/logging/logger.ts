import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { REDACTED, createScrubber } from './scrub.ts';

export type { Logger } from 'pino';

/** Field names that carry secrets wherever they appear (redacted by key, up to four levels deep). */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'clientSecret',
  'client_secret',
  'password',
  'token',
  'access_token',
  'accessToken',
  'refresh_token',
  'secret',
  'cookie',
  'apiKey',
];

function redactPaths(): string[] {
  const prefixes = ['', '*.', '*.*.', '*.*.*.'];
  const paths = prefixes.flatMap((prefix) => SECRET_KEYS.map((key) => `${prefix}${key}`));
  // A webhook's extra headers usually carry API keys: redact the whole map.
  paths.push('sinks[*].headers', '*.sinks[*].headers');
  return paths;
}

export interface LoggerOptions {
  /** @default 'info' */
  level?: Level | 'silent';
  /** Secret values to scrub from every line even outside known keys (client secret, sink passwords). */
  secrets?: ReadonlyArray<string | undefined>;
  /**
   * Where lines go. Stderr by default because stdout may be the ndjson sink (`--sink ndjson:-`).
   * @default pino.destination({ fd: 2, sync: true })
   */
  destination?: DestinationStream;
}

/** The relay's logger: JSON lines on stderr, secrets redacted by key and by value. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const scrub = createScrubber(options.secrets ?? []);
  return pino(
    {
      level: options.level ?? 'info',
      base: { name: 'genesys-relay' },
      redact: { paths: redactPaths(), censor: REDACTED },
      hooks: { streamWrite: scrub },
    },
    // Synchronous writes: a crash or kill must not lose the line explaining it.
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** State changes worth an audit trail (issue 4). */
export type AuditEvent =
  | 'session.state'
  | 'channel.created'
  | 'channel.rollover'
  | 'socket.reconnect'
  | 'gap'
  | 'token.refresh'
  | 'delivery.dead-letter'
  /** A sink's configuration or credentials stopped (or started again) letting it deliver; events stay queued. */
  | 'delivery.blocked'
  | 'delivery.unblocked'
  | 'relay.start'
  | 'relay.stop'
  /** Distributed mode (issue 5): lease tenures, each with its epoch (tenure number). */
  | 'shard.acquired'
  | 'shard.lost'
  | 'shard.released'
  /** Distributed mode: the lease store stopped (or started again) answering; held shards are kept meanwhile. */
  | 'coordination.degraded'
  | 'coordination.recovered'
  /** Outbox commits started failing (disk full, locked, I/O error) or succeeded again; events are held meanwhile. */
  | 'outbox.write-blocked'
  | 'outbox.write-recovered'
  /** Sinks no longer configured whose events are still in the outbox (their backlog stays until dropped). */
  | 'outbox.removed-sink'
  | 'outbox.sink-dropped'
  /** Gap healing (src/resync): how each gap was healed, topics no strategy heals, a resync retried or given up. */
  | 'resync.gap'
  | 'resync.unhealed'
  | 'resync.retry'
  | 'resync.failed'
  /** A frame over maxFrameBytes was skipped, the socket kept (topic, bytes, CorrelationId): an event not relayed. */
  | 'frame.oversized';

/** Audit events an operator should act on (or explain). */
const WARN_EVENTS: ReadonlySet<AuditEvent> = new Set([
  'gap',
  'delivery.dead-letter',
  'delivery.blocked',
  'shard.lost',
  'coordination.degraded',
  'coordination.recovered',
  'outbox.write-blocked',
  'outbox.write-recovered',
  'outbox.removed-sink',
  'resync.unhealed',
  'resync.failed',
  'frame.oversized',
]);

/** One audit line: structured, with `audit: true` so it can be filtered from ordinary logs. */
export function audit(logger: Logger, event: AuditEvent, fields: Record<string, unknown> = {}, message?: string): void {
  const level = WARN_EVENTS.has(event) ? 'warn' : 'info';
  logger[level]({ audit: true, event, ...fields }, message ?? event);
}
