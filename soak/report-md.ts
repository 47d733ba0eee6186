import { EXPLAINED, type LossClass } from './loss-analysis.ts';
import type { SoakResult } from './result.ts';
import type { Summary } from './stats.ts';
import { healingSection } from './report-healing.ts';

/** The human report (latest.md): parameters, verdict, counts, loss, faults, gaps, memory, and the chart. */
export function renderMarkdown(r: SoakResult, svgName: string): string {
  return [
    header(r),
    checksSection(r),
    countsSection(r),
    lossSection(r),
    healingSection(r),
    faultsSection(r),
    gapsSection(r),
    storageSection(r),
    coordinationSection(r),
    memorySection(r),
    `## Chart\n\n![events/s, RSS and outbox depth over time, with fault markers](${svgName})\n`,
  ].join('\n');
}

function header(r: SoakResult): string {
  const p = r.parameters;
  return `# Chaos soak: ${r.passed ? 'PASSED' : 'FAILED'}

Started ${r.startedAt}; load ran ${r.loadS.toFixed(0)} s; Node ${p.node} on ${p.cpus} CPUs, load average ${p.loadAverage}
at the end. Repeat with
\`npm run soak -- --duration-s ${p.durationS} --rate ${p.ratePerSecond} --seed ${p.seed}\`.

| Parameter | Value | Genesys |
|---|---|---|
| seed | ${p.seed} | |
| publishing rate | ${p.ratePerSecond} events/s over ${p.topics} topics | |
| topics per channel | ${p.maxTopicsPerChannel} (so several shards) | 1000 |
| heartbeat | ${p.heartbeatMs} ms | 30 s |
| socket_closing lead | ${p.socketClosingLeadMs} ms | 60 s |
| channel TTL | ${p.channelTtlMs} ms | 24 h |
| token TTL | ${p.tokenTtlS} s | 24 h |
| mean time between faults | ${p.meanFaultIntervalMs} ms | |
| mean time between sink outages | ${p.meanSinkOutageIntervalMs} ms (0.5-2 s each) | |
| in-flight tolerance | ${p.inFlightToleranceMs} ms | |
`;
}

function checksSection(r: SoakResult): string {
  const rows = r.checks.map((c) => `| ${c.ok ? 'ok' : '**FAIL**'} | ${c.name} | ${c.detail} |`);
  return `## Verdict\n\n| | Check | Detail |\n|---|---|---|\n${rows.join('\n')}\n`;
}

function countsSection(r: SoakResult): string {
  const { loss, client, emulator } = r;
  return `## Counts

| Stage | Events |
|---|---|
| published (emulator counter / soak ledger) | ${emulator.published} / ${loss.published} |
| written to a socket by the emulator | ${emulator.sent} (frames; an event on two channels during a rollover counts twice) |
| frames read by the client | ${client.eventsReceived} |
| duplicates removed by the client (rollover overlap) | ${client.duplicatesDropped} |
| handed on by the client | ${client.eventsDelivered} |
| committed to the outbox | ${r.appends.ok}, of which ${r.resync.eventsDelivered} resync events (outbox duplicates ${r.appends.duplicate}, failures ${r.appends.failed}) |
| delivered by the sink | ${loss.delivered} distinct events |
| lost | ${loss.lost} (explained ${loss.explained}, **unexplained ${loss.unexplained}**) |
| delivered twice | ${loss.duplicatesDelivered} |
| reconnects / rollovers / gaps | ${client.reconnects} / ${client.rollovers} / ${client.gaps} |
| channels created / expired / evicted | ${emulator.channelsCreated} / ${emulator.channelsExpired} / ${emulator.channelsEvicted} |
| tokens issued / 429s / 5xx served | ${emulator.tokensIssued} / ${emulator.rateLimited} / ${emulator.serverErrors} |
| malformed frames skipped | ${client.malformedFrames} |
`;
}

const CLASS_TEXT: Record<LossClass, string> = {
  'no-socket': 'not written to any socket, during a client gap',
  'dying-socket': 'written to a socket that was dying (within the gap or just before it)',
  'topic-rejected': 'topic refused by the server (deny-topic) and reported by the client',
  'not-sent-no-gap': 'not written to any socket, yet no client gap',
  'sent-not-received': 'written to a live socket, never handed on',
  'received-not-delivered': 'handed on by the client, never delivered by the sink',
};

function lossSection(r: SoakResult): string {
  const rows = (Object.keys(CLASS_TEXT) as LossClass[]).map(
    (cls) =>
      `| ${EXPLAINED.has(cls) ? 'explained' : '**unexplained**'} | \`${cls}\` | ${CLASS_TEXT[cls]} | ${r.loss.byClass[cls]} |`,
  );
  const samples = r.loss.unexplainedSamples.map(
    (s) => `- ${s.topic} #${s.sequence} at ${new Date(s.publishedAt).toISOString()}: ${s.cls}`,
  );
  return `## Loss

Genesys does not queue or replay events published while a channel has no socket (genesys-api.md §5.2), so those
losses are the API's, recorded by the client as gaps for a REST resync. Any other loss is a relay bug.

| | Class | Meaning | Events |
|---|---|---|---|
${rows.join('\n')}

Warned socket_closing: ${r.warnedClosing.injected} injected, ${r.warnedClosing.rolledOver} rolled over make-before-break, ${r.warnedClosing.lostInWindows} events lost in their windows.
${samples.length > 0 ? `\nUnexplained (first ${samples.length}):\n\n${samples.join('\n')}\n` : ''}`;
}

function faultsSection(r: SoakResult): string {
  const rows = Object.entries(r.recoveryByFault).map(
    ([name, s]) => `| ${name} | ${s.injected} | ${s.unrecovered} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`,
  );
  return `## Faults and recovery

Recovery = from injection to the first event handed on after every shard is live again.

| Fault | Injected | Unrecovered | p50 | p99 | max |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

function gapsSection(r: SoakResult): string {
  const byReason = new Map<string, number[]>();
  for (const gap of r.gaps) {
    const reason = gap.reason.replace(/\d+ ms/g, 'N ms');
    byReason.set(reason, [...(byReason.get(reason) ?? []), gap.durationMs]);
  }
  const rows = [...byReason].map(([reason, d]) => `| ${reason} | ${d.length} | ${ms(Math.max(...d))} |`);
  const corrected = r.gaps.filter((g) => g.reportedStartAt > g.startAt);
  const worst = Math.max(0, ...corrected.map((g) => g.reportedStartAt - g.startAt));
  return `## Gaps

${r.gaps.length} gaps; duration ${summaryText(r.gapDurations)}.
Rollovers by reason: ${JSON.stringify(r.rolloversByReason)}.

| Reason | Gaps | Longest |
|---|---|---|
${rows.join('\n')}

${spontaneousText(r)}

Gap starts: ${corrected.length} stale-socket gaps began later than the last event seen on that channel${
    corrected.length > 0 ? ` (up to ${worst} ms); the soak uses the earlier instant` : ''
  }.
`;
}

/** Gaps no injected fault explains, with the event-loop stall measured in the same second. */
function spontaneousText(r: SoakResult): string {
  const spontaneous = r.gaps.filter((g) => g.faultIndex === undefined);
  if (spontaneous.length === 0) return 'Every gap followed an injected fault.';
  const startMs = Date.parse(r.startedAt);
  const lines = spontaneous.map((g) => {
    const t = (g.startAt - startMs) / 1000;
    const stall = r.samples.find((s) => s.t >= t)?.loopDelayMaxMs;
    return `- ${g.shardId} at ${t.toFixed(1)} s, "${g.reason}", ${g.durationMs} ms; event-loop stall that second: ${ms(stall)}`;
  });
  return `${spontaneous.length} gaps followed no injected fault:\n\n${lines.join('\n')}`;
}

function storageSection(r: SoakResult): string {
  const st = r.storage;
  const rows = st.windows.map(
    (w) =>
      `| ${w.kind} | ${new Date(w.from).toISOString().slice(11, 23)} | ${ms(w.to - w.from)} | ${ms(w.blockedMs)} | ${
        w.ballastBytes === undefined ? '' : `${(w.ballastBytes / 2 ** 20).toFixed(0)} MiB`
      }${w.error ? ` ${w.error}` : ''} |`,
  );
  const longest = Math.max(0, ...st.blocked.map((b) => (b.to ?? 0) - b.from));
  return `## Storage faults

The outbox ${st.tmpfsMb === undefined ? `is in a plain directory (${st.unavailable ?? ''}: no disk-full windows)` : `is on its own ${st.tmpfsMb} MiB tmpfs`}.
Disk full = the tmpfs filled by a ballast file, freed after the hold; write lock = another process holding
BEGIN IMMEDIATE on the outbox file. Commits failed ${st.commitFailures} times in ${st.blocked.length} spans,
${ms(st.blockedMs)} in all (longest ${ms(longest)}): the events stayed in memory and were retried, and the client
paused reading (TCP backpressure). Lost in the windows (or ${2} s after): ${st.lostInWindows}; gaps no socket fault
explains that began in them: ${st.gapsInWindows}.

| Fault | Applied at (UTC) | Held | Commits failing | Ballast |
|---|---|---|---|---|
${rows.join('\n')}
`;
}

function coordinationSection(r: SoakResult): string {
  const c = r.coordination;
  if (c === undefined) return '## Coordination outage\n\nNot run (`--scenario main`).\n';
  if (c.skipped !== undefined) return `## Coordination outage\n\nNot run: ${c.skipped}.\n`;
  const outages = c.outages.map((o) => `${ms(o.to - o.from)}`).join(', ');
  return `## Coordination outage

Scenario \`coordination\` (soak/coordination.ts): ${c.workers} workers (\`genesys-relay run --coordination-url\`, each
with its own state dir, outbox and ndjson sink) share ${c.shards} shards of ${c.topics} topics through a real PostgreSQL
(lease TTL 2 s); the server is stopped (\`pg_ctl stop -m immediate\`) and started again on the same port and data dir
${c.outages.length} times (${outages}) while one event per topic is published every 20 ms; token-bound channels on.

| | |
|---|---|
| published / delivered | ${c.published} / ${c.delivered} |
| lost | ${c.lost} (${c.lostInGaps} inside a gap a worker recorded) |
| gaps | ${c.gaps.length} (${c.gapsFromOutages} began during an outage or a lease TTL after it) |
| shards lost | ${c.shardsLost.length}${c.shardsLost.map((l) => `; ${l.worker} ${l.reason}${l.duringOutage ? ' during an outage' : ' outside any outage'}`).join('')} |
| coordination degraded / recovered warn lines | ${c.degradedTransitions} / ${c.recoveredTransitions} |
| drained | ${c.drained} |
`;
}

function memorySection(r: SoakResult): string {
  const m = r.memory;
  return `## Memory and backlog

RSS ${m.startMb.toFixed(0)} MB at start, ${m.maxMb.toFixed(0)} MB max, ${m.endMb.toFixed(0)} MB at the end; slope
${m.slopeMbPerMin.toFixed(2)} MB/min over the run, ${m.secondHalfSlopeMbPerMin.toFixed(2)} MB/min over its second half.
The soak's own ledger (11 bytes per published event, doubled as it grows) lives in the same process and is part of these figures.
Outbox depth: max ${r.outbox.maxPending}, ${r.outbox.endPending} at the end. Sink outages: ${r.sink.outages} (${(
    r.sink.outageMs / 1000
  ).toFixed(1)} s in all), ${r.sink.refusedBatches} batches refused, ${r.sink.retried} events retried by the dispatcher,
${r.sink.deadLettered} dead-lettered.
Event-loop stalls (emulator, client, outbox and sink share the loop): longest ${ms(r.loopDelay.maxMs)}, p99 of
the per-second maxima ${ms(r.loopDelay.p99Ms)}.
`;
}

function summaryText(s: Summary): string {
  return s.count === 0 ? 'n/a' : `p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, max ${ms(s.max)}`;
}

function ms(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${Math.round(value)} ms`;
}
