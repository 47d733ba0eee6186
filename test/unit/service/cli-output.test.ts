import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatChecklist } from '../../../src/cli/commands/doctor.ts';
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
    relay: status,
    faults: ['6s drop'],
    outputPath: '/o',
    logPath: '/l',
  };
  it('renders one plain line per tick', () => {
    assert.equal(
      renderLine(snapshot),
      't=12s published=11 received=10 committed=9 delivered[ndjson=9/depth 0] sockets=open reconnects=1 rollovers=2 gaps=1 last=v2.users.u1.presence',
    );
  });
  it('renders the full frame with recovery counters and faults', () => {
    const frame = renderFrame(snapshot);
    assert.match(frame, /reconnects 1 {3}rollovers 2 {3}gaps 1 \(1\.5s\)/);
    assert.match(frame, /faults {4}6s drop/);
    assert.match(frame, /shard-0 open \(ch-1\)/);
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
