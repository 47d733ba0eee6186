import { Gauge } from 'prom-client';
import type { ClientCounters, ClientStatus } from '../client/index.ts';
import type { RelayMetrics } from './metrics.ts';

const LAST_FRAME_AGE = 'genesys_relay_last_frame_age_seconds';

/** The client counters mirrored into Prometheus counters by delta (they are monotonic on both sides). */
const MIRRORED = ['malformedFrames', 'oversizedFrames', 'duplicatesDropped', 'reconnects', 'rollovers'] as const;

/**
 * Mirrors the NotificationClient's own counters into the registry, so the exported numbers are exactly the client's.
 * Call `sync` before each scrape; it adds only what changed since the last call.
 */
export class ClientMetricsMirror {
  private readonly seen: Record<(typeof MIRRORED)[number], number> = {
    malformedFrames: 0,
    oversizedFrames: 0,
    duplicatesDropped: 0,
    reconnects: 0,
    rollovers: 0,
  };
  private readonly shardStates = new Map<string, string>();
  private readonly lastFrameAge: Gauge<'shard'>;

  constructor(private readonly metrics: RelayMetrics) {
    // Registered here rather than in createMetrics: it is derived from the client status like the socket gauges.
    // A registry shared by two mirrors (tests) gets one gauge.
    const existing = metrics.registry.getSingleMetric(LAST_FRAME_AGE);
    this.lastFrameAge =
      existing instanceof Gauge
        ? existing
        : new Gauge({
            name: LAST_FRAME_AGE,
            help: "Seconds since the last frame (heartbeat, pong or event) on each shard's open socket",
            labelNames: ['shard'],
            registers: [metrics.registry],
          });
  }

  /** `nowMs` dates the last-frame ages; without it that gauge is left as it was. */
  sync(counters: Readonly<ClientCounters>, status: ClientStatus, nowMs?: number): void {
    const targets = {
      malformedFrames: this.metrics.eventsMalformed,
      oversizedFrames: this.metrics.eventsOversized,
      duplicatesDropped: this.metrics.eventsDuplicate,
      reconnects: this.metrics.reconnects,
      rollovers: this.metrics.rollovers,
    };
    for (const name of MIRRORED) {
      const delta = counters[name] - this.seen[name];
      if (delta > 0) targets[name].inc(delta);
      this.seen[name] = counters[name];
    }
    this.syncSockets(status);
    if (nowMs !== undefined) this.syncLastFrameAges(status, nowMs);
  }

  /** Only shards with an open socket have a series: a shard without one is told by socket_state, not by an age. */
  private syncLastFrameAges(status: ClientStatus, nowMs: number): void {
    this.lastFrameAge.reset();
    for (const shard of status.shards) {
      if (shard.lastFrameAt === undefined) continue;
      this.lastFrameAge.set({ shard: shard.shardId }, Math.max(0, nowMs - shard.lastFrameAt) / 1000);
    }
  }

  /** socket_state{shard,state} is 1 for each shard's current state and 0 for the state it left. */
  private syncSockets(status: ClientStatus): void {
    let open = 0;
    for (const shard of status.shards) {
      const before = this.shardStates.get(shard.shardId);
      if (before !== undefined && before !== shard.state) {
        this.metrics.socketState.set({ shard: shard.shardId, state: before }, 0);
      }
      this.metrics.socketState.set({ shard: shard.shardId, state: shard.state }, 1);
      this.shardStates.set(shard.shardId, shard.state);
      if (shard.state === 'open' || shard.state === 'rollingOver') open++;
    }
    this.metrics.socketsOpen.set(open);
  }
}
