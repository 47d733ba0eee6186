import type { RelayConfig } from '../config/load.ts';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { RelayMetrics } from '../metrics/metrics.ts';
import type { Outbox } from '../outbox/outbox.ts';
import { createStreamMetrics, resolveStreamToken, startStreamServer, type StreamServer } from '../stream/index.ts';

interface StreamContext {
  config: RelayConfig;
  clock: Clock;
  logger: Logger;
  metrics: RelayMetrics;
}

/**
 * Starts the browser event stream over the outbox when `stream.port` is set (else undefined). The token comes from
 * `envToken` (GENESYS_RELAY_STREAM_TOKEN) or `stream.tokenFile`; without one this throws a ConfigError.
 */
export async function startRelayStream(
  ctx: StreamContext,
  outbox: Outbox,
  envToken: string | undefined,
): Promise<StreamServer | undefined> {
  const s = ctx.config.stream;
  if (s.port === undefined) return undefined;
  const server = await startStreamServer({
    source: outbox,
    token: resolveStreamToken(envToken, s.tokenFile),
    port: s.port,
    host: s.host,
    corsOrigins: s.corsOrigins,
    maxClients: s.maxClients,
    connectionsPerMinute: s.connectionsPerMinute,
    heartbeatMs: s.heartbeatMs,
    metrics: createStreamMetrics(ctx.metrics.registry),
    clock: ctx.clock,
    onReadError: (err) => ctx.logger.warn({ err: errorMessage(err) }, 'stream: outbox read failed; client resumes'),
  });
  ctx.logger.info({ url: server.url, port: server.port }, 'event stream listening');
  return server;
}
