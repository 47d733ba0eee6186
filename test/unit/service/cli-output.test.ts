import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatChecklist } from '../../../src/cli/commands/doctor.ts';
import { OutageTracker } from '../../../src/cli/demo-outage.ts';
import { renderFrame, renderLine, type DemoSnapshot } from '../../../src/cli/demo-view.ts';
import type { RelayStatus } from '../../../src/service/relay-status.ts';

const status: RelayStatus = {
  phase: 'running',
  failure: undefined,
  topics: 2,
  shards: [{ shardId: 'shard-0', state: 'open', channelId: 'ch-1', expiresAt: undefined, topics: 2 }],
  socketsOpen: 1,
  committed: 9,
  outboxDuplicates: 1,
  lastEventAt: 1,
  lastEventTopic: 'v2.users.u1.presence',
  client: {
    eventsReceived: 10,
    eventsDelivered: 10,
    duplicatesDropped: 0,
    malformedFrames: 0,
    oversizedFrames: 0,
    reconnects: 1,
    rollovers: 2,
    gaps: 1,
    gapMs: 1500,
    overflowDropped: 0,
    rejectedTopics: 0,
    errors: 0,
  },
  tokenRefreshes: 1,
  sinks: [
    {
      name: 'ndjson',
      pending: 0,
      inflight: 0,
      delivered: 9,
      dead: 0,
      oldestPendingAt: undefined,
      run: { delivered: 9, retried: 0, deadLettered: 0 },
      blocked: undefined,
    },
  ],
  readiness: { ready: true, reason: 'ok', lastActivityAgeMs: 10 },
  metricsUrl: undefined,
};

describe('demo view', () => {
  const snapshot: DemoSnapshot = {
    elapsedMs: 12_000,
    published: 11,
    unreached: 0,
    relay: status,
    faults: ['6s drop'],
    outage: { phase: 'none' },
    outageSink: 'receiver',
    outputPath: '/o',
    logPath: '/l',
  };
  it('renders one plain line per tick', () => {
    assert.equal(
      renderLine(snapshot),
      't=12s published=11 received=10 lost-in-gaps=0 committed=9 outage=none delivered[ndjson=9/depth 0] sockets=open reconnects=1 rollovers=2 gaps=1 last=v2.users.u1.presence',
    );
  });
  it('renders the full frame with recovery counters and faults', () => {
    const frame = renderFrame(snapshot);
    assert.match(frame, /reconnects 1 {3}rollovers 2 {3}gaps 1 \(1\.5s\)/);
    assert.match(frame, /faults {4}6s drop/);
    assert.match(frame, /shard-0 open \(ch-1\)/);
  });

  it('says that events published while no socket was open are lost, since Genesys does not replay', () => {
    assert.match(
      renderFrame({ ...snapshot, published: 275, unreached: 19 }),
      /published 275 {3}received 10 \(19 published while no socket was open: Genesys does not replay\)/,
    );
    assert.doesNotMatch(renderFrame(snapshot), /no socket was open/, 'no label without such events');
  });

  it('shows a sink outage: down and queueing, draining, drained with none lost', () => {
    const frame = (outage: DemoSnapshot['outage']): string => renderFrame({ ...snapshot, outage });
    assert.match(
      frame({ phase: 'down', sinceMs: 2_500, queued: 12 }),
      /outage {4}receiver DOWN for 2\.5 s \(HTTP 503\): 12 event\(s\) queued in the outbox, retrying/,
    );
    assert.match(
      frame({ phase: 'draining', downForMs: 4_000, queued: 3, maxQueued: 20 }),
      /receiver back after 4\.0 s: draining, 3 of 20 queued left/,
    );
    assert.match(
      frame({ phase: 'drained', downForMs: 4_000, maxQueued: 20, drainedInMs: 600 }),
      /receiver was down 4\.0 s: 20 queued event\(s\) drained 0\.6 s after it came back, none lost/,
    );
  });

  it('follows an outage from the receiver state and the queue depth', () => {
    const tracker = new OutageTracker();
    assert.deepEqual(tracker.observe(0, false, 0), { phase: 'none' });
    assert.deepEqual(tracker.observe(1_000, true, 5), { phase: 'down', sinceMs: 0, queued: 5 });
    assert.deepEqual(tracker.observe(4_000, true, 30), { phase: 'down', sinceMs: 3_000, queued: 30 });
    assert.deepEqual(tracker.observe(5_000, false, 10), {
      phase: 'draining',
      downForMs: 4_000,
      queued: 10,
      maxQueued: 30,
    });
    const drained = { phase: 'drained', downForMs: 4_000, maxQueued: 30, drainedInMs: 500 };
    assert.deepEqual(tracker.observe(5_500, false, 0), drained);
    assert.deepEqual(tracker.observe(9_000, false, 2), drained, 'new events after the drain are not a new outage');
    assert.deepEqual(tracker.observe(20_000, true, 1), { phase: 'down', sinceMs: 0, queued: 1 }, 'the next outage');
  });

  it('shows a blocked sink with the reason to check', () => {
    const sink = status.sinks[0]!;
    const blocked = { ...sink, blocked: { reason: 'HTTP 401 (check servicenow.auth)', since: 1 } };
    const frame = renderFrame({ ...snapshot, relay: { ...status, sinks: [blocked] } });
    assert.match(
      frame,
      /ndjson: delivered 9, depth 0, retries 0, dead 0, BLOCKED \(HTTP 401 \(check servicenow\.auth\)\)/,
    );
    assert.doesNotMatch(renderFrame(snapshot), /BLOCKED/);
  });
});

describe('doctor checklist', () => {
  it('marks each check and prints fixes only for failures', () => {
    const text = formatChecklist([
      { status: 'ok', title: 'token', detail: 'fine', fix: 'never shown' },
      { status: 'fail', title: 'subscriptions', detail: '1 of 2 rejected', notes: ['v2.x: Rejected'], fix: 'grant' },
    ]);
    assert.equal(
      text,
      'genesys-relay doctor\n  ✓ token: fine\n  ✗ subscriptions: 1 of 2 rejected\n      - v2.x: Rejected\n      fix: grant\n1 check(s) failed.\n',
    );
  });
});
