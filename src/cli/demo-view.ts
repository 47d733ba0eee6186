import { formatDurationMs } from '../config/duration.ts';
import type { RelayStatus } from '../service/relay-status.ts';

/** Everything one frame of the demo's live view shows. */
export interface DemoSnapshot {
  elapsedMs: number;
  published: number;
  relay: RelayStatus;
  faults: readonly string[];
  outputPath: string;
  logPath: string;
}

/** The full-screen view (TTY): a few labelled lines, redrawn about once a second. */
export function renderFrame(s: DemoSnapshot): string {
  const r = s.relay;
  const sinks = r.sinks
    .map(
      (k) =>
        `${k.name}: delivered ${k.run.delivered}, depth ${k.pending}, retries ${k.run.retried}, dead ${k.dead}` +
        (k.blocked ? `, BLOCKED (${k.blocked.reason})` : ''),
    )
    .join('   ');
  const sockets = r.shards
    .map((sh) => `${sh.shardId} ${sh.state}${sh.channelId ? ` (${sh.channelId})` : ''}`)
    .join('   ');
  const c = r.client;
  return [
    `genesys-relay demo — ${formatDurationMs(s.elapsedMs)}  (Ctrl-C to stop)   ready: ${r.readiness.ready ? 'yes' : `no (${r.readiness.reason})`}`,
    '',
    `events    published ${s.published}   received ${c.eventsReceived}   committed ${r.committed}   duplicates dropped ${c.duplicatesDropped + r.outboxDuplicates}   malformed ${c.malformedFrames}`,
    `sinks     ${sinks}`,
    `sockets   ${sockets || '-'}`,
    `recovery  reconnects ${c.reconnects}   rollovers ${c.rollovers}   gaps ${c.gaps} (${formatDurationMs(c.gapMs)})   token refreshes ${r.tokenRefreshes}`,
    `last      ${r.lastEventTopic ?? '-'}`,
    `faults    ${s.faults.slice(-4).join(', ') || '-'}`,
    '',
    `output    ${s.outputPath}`,
    `logs      ${s.logPath}`,
    '',
  ].join('\n');
}

/** One plain line per tick, for pipes and CI. */
export function renderLine(s: DemoSnapshot): string {
  const r = s.relay;
  const c = r.client;
  const sinks = r.sinks.map((k) => `${k.name}=${k.run.delivered}/depth ${k.pending}`).join(' ');
  const states = r.shards.map((sh) => sh.state).join(',');
  return (
    `t=${Math.round(s.elapsedMs / 1000)}s published=${s.published} received=${c.eventsReceived} committed=${r.committed} ` +
    `delivered[${sinks}] sockets=${states || '-'} reconnects=${c.reconnects} rollovers=${c.rollovers} gaps=${c.gaps} ` +
    `last=${r.lastEventTopic ?? '-'}`
  );
}
