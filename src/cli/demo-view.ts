import { formatDurationMs } from '../config/duration.ts';
import type { RelayStatus } from '../service/relay-status.ts';
import type { OutagePhase } from './demo-outage.ts';

/** Everything one frame of the demo's live view shows. */
export interface DemoSnapshot {
  elapsedMs: number;
  published: number;
  /** Published while no socket of the topic was open (the emulator's count): lost, since Genesys does not replay. */
  unreached: number;
  relay: RelayStatus;
  faults: readonly string[];
  /** The scheduled outage of the sink named `outageSink`. */
  outage: OutagePhase;
  outageSink: string;
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
    `events    published ${s.published}   received ${c.eventsReceived}${lostInGaps(s.unreached)}`,
    `          committed ${r.committed}   duplicates dropped ${c.duplicatesDropped + r.outboxDuplicates}   malformed ${c.malformedFrames}`,
    `sinks     ${sinks}`,
    `outage    ${describeOutage(s.outageSink, s.outage)}`,
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

/** Why received < published: the events published while no socket was open are gone (no replay in Genesys). */
function lostInGaps(unreached: number): string {
  if (unreached === 0) return '';
  return ` (${unreached} published while no socket was open: Genesys does not replay)`;
}

function describeOutage(sink: string, o: OutagePhase): string {
  const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  switch (o.phase) {
    case 'none':
      return `${sink}: no outage yet (its receiver goes down on schedule; events wait in the outbox)`;
    case 'down':
      return `${sink} DOWN for ${secs(o.sinceMs)} (HTTP 503): ${o.queued} event(s) queued in the outbox, retrying`;
    case 'draining':
      return `${sink} back after ${secs(o.downForMs)}: draining, ${o.queued} of ${o.maxQueued} queued left`;
    case 'drained':
      return (
        `${sink} was down ${secs(o.downForMs)}: ${o.maxQueued} queued event(s) drained ` +
        `${secs(o.drainedInMs)} after it came back, none lost`
      );
  }
}

/** One plain line per tick, for pipes and CI. */
export function renderLine(s: DemoSnapshot): string {
  const r = s.relay;
  const c = r.client;
  const sinks = r.sinks.map((k) => `${k.name}=${k.run.delivered}/depth ${k.pending}`).join(' ');
  const states = r.shards.map((sh) => sh.state).join(',');
  return (
    `t=${Math.round(s.elapsedMs / 1000)}s published=${s.published} received=${c.eventsReceived} ` +
    `lost-in-gaps=${s.unreached} committed=${r.committed} outage=${s.outage.phase} ` +
    `delivered[${sinks}] sockets=${states || '-'} reconnects=${c.reconnects} rollovers=${c.rollovers} gaps=${c.gaps} ` +
    `last=${r.lastEventTopic ?? '-'}`
  );
}
