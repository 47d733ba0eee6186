import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { EmulatorHandle } from '../../../src/emulator/index.ts';
import { readFileSync } from 'node:fs';
import { emulatorWithEnv, metricsBase, sample, spawnCli, tempDir, waitFor, type CliProcess } from '../cli/helpers.ts';
import { conversationBody, presenceBody, routingBody, userId } from './rig.ts';

/** Waits that a 2-core CI at load average 20 needs (a CLI start alone took 20 s there); not a speed bound. */
const LOADED_CI_MS = 60_000;

const QUEUE = 'queue-0001';
const QUEUE_TOPIC = `v2.routing.queues.${QUEUE}.conversations`;
const OBSERVATIONS = `v2.analytics.queues.${QUEUE}.observations`;
const AGENT = userId(999);
const USERS = Array.from({ length: 60 }, (_, i) => userId(i));
const CONVERSATIONS = Array.from({ length: 25 }, (_, i) => `conv-${String(i).padStart(4, '0')}`);
/** What the first run delivers live: presence and routing of 60 users, 25 conversations. */
const INITIAL = USERS.length * 2 + CONVERSATIONS.length;

type Line = Record<string, unknown> & {
  topicName: string;
  eventBody: Record<string, unknown>;
  relay: Record<string, unknown>;
};

/** The complete lines of the sink's file (the sink may be half-way through writing the last one). */
function readNdjson(path: string): Line[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Line);
}

function writeConfig(dir: string): { config: string; ndjson: string } {
  const ndjson = join(dir, 'events.ndjson');
  const topics = [...USERS.map((u) => `v2.users.${u}?presence&routingStatus`), QUEUE_TOPIC, OBSERVATIONS];
  const config = join(dir, 'relay.yaml');
  writeFileSync(
    config,
    [
      `topics: [${topics.map((t) => `"${t}"`).join(', ')}]`,
      'outbox: { pollIntervalMs: 100ms }',
      'resync: { delayMs: 300ms }',
      `sinks: [{ type: ndjson, path: "${ndjson}" }]`,
    ].join('\n'),
  );
  return { config, ndjson };
}

function runRelay(dir: string, config: string, env: Record<string, string>): CliProcess {
  return spawnCli(['run', '--config', config, '--state-dir', join(dir, 'state'), '--metrics-port', '0'], env);
}

/** Publishes the starting state and waits until the sink holds it. */
async function deliverInitialState(emulator: EmulatorHandle, ndjson: string): Promise<void> {
  const at = Date.now() - 60_000;
  for (const u of USERS) {
    emulator.publish(`v2.users.${u}.presence`, presenceBody('Available', at));
    emulator.publish(`v2.users.${u}.routingStatus`, routingBody(u, 'IDLE', at));
  }
  for (const id of CONVERSATIONS) emulator.publish(QUEUE_TOPIC, conversationBody(id, QUEUE, AGENT, 'alerting'));
  await waitFor(
    () => (readNdjson(ndjson).length >= INITIAL ? true : undefined),
    `${INITIAL} live events in the sink`,
    LOADED_CI_MS,
  );
}

/** 50 users change presence twice and 20 conversations change (10 of them end) while nothing is delivered. */
function changeWhileNobodyListens(emulator: EmulatorHandle): void {
  const publish = (topic: string, body: Record<string, unknown>): void =>
    assert.equal(emulator.publish(topic, body).delivered, 0, `${topic} must fall into the gap`);
  for (const u of USERS.slice(0, 50)) {
    publish(`v2.users.${u}.presence`, presenceBody('Away', Date.now()));
    publish(`v2.users.${u}.presence`, presenceBody('Busy', Date.now()));
  }
  for (const [i, id] of CONVERSATIONS.slice(0, 20).entries()) {
    publish(QUEUE_TOPIC, conversationBody(id, QUEUE, AGENT, 'connected'));
    if (i >= 10) publish(QUEUE_TOPIC, conversationBody(id, QUEUE, AGENT, 'disconnected'));
  }
}

/** Waits for the 70 resync events and checks each holds the latest state, and that nothing else was re-sent. */
async function assertHealed(ndjson: string): Promise<Line[]> {
  const resynced = await waitFor(
    () => {
      const lines = readNdjson(ndjson).filter((l) => l.relay.source === 'resync');
      return lines.length >= 70 ? lines : undefined;
    },
    '70 resync events in the sink',
    LOADED_CI_MS,
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const all = readNdjson(ndjson).filter((l) => l.relay.source === 'resync');
  assert.equal(all.length, 70, 'one resync event per changed entity, nothing for the others');
  const presence = new Map(all.filter((l) => l.topicName.endsWith('.presence')).map((l) => [l.topicName, l.eventBody]));
  for (const u of USERS.slice(0, 50)) {
    const body = presence.get(`v2.users.${u}.presence`) as
      { presenceDefinition: { systemPresence: string } } | undefined;
    assert.equal(body?.presenceDefinition.systemPresence, 'Busy', `latest presence of ${u}`);
  }
  assert.equal(all.filter((l) => l.topicName.endsWith('.routingStatus')).length, 0, 'routing status did not change');
  const agentState = new Map(
    all
      .filter((l) => l.topicName === QUEUE_TOPIC)
      .map((l) => {
        const body = l.eventBody as { id: string; participants: Array<{ purpose: string; state: string }> };
        return [body.id, body.participants.find((p) => p.purpose === 'agent')?.state];
      }),
  );
  assert.equal(agentState.size, 20);
  for (const [i, id] of CONVERSATIONS.slice(0, 20).entries()) {
    assert.equal(agentState.get(id), i >= 10 ? 'disconnected' : 'connected', `latest state of ${id}`);
  }
  for (const line of all) {
    const gap = line.relay.gap as { id: string; startAt: string; endAt: string } | undefined;
    assert.ok(gap && gap.id && Date.parse(gap.startAt) <= Date.parse(gap.endAt), 'relay.gap names the gap');
  }
  return resynced;
}

describe('gap healing through the CLI', () => {
  it('after a drop while channel calls are rate-limited, the sink gets the latest state of every entity that changed', async () => {
    const { emulator, env } = await emulatorWithEnv();
    const { dir, cleanup } = tempDir();
    const { config, ndjson } = writeConfig(dir);
    const cli = runRelay(dir, config, env);
    try {
      await cli.waitForStderr(/"state":"open"/, LOADED_CI_MS);
      await deliverInitialState(emulator, ndjson);
      const live = readNdjson(ndjson).every((l) => l.relay.source === 'notification');
      assert.ok(live, 'live events carry relay.source "notification"');
      emulator.fault({ kind: 'rate-limit', count: 2, retryAfterS: 1, match: 'notifications/channels' });
      emulator.fault({ kind: 'drop' });
      changeWhileNobodyListens(emulator);
      await assertHealed(ndjson);
      const unhealed = await cli.waitForStderr(/"event":"resync.unhealed"/, LOADED_CI_MS);
      assert.match(unhealed, new RegExp(OBSERVATIONS.replace(/\./g, '\\.')));
      await cli.waitForStderr(/"event":"resync.gap"/, LOADED_CI_MS);
      const metrics = await (await fetch(`${await metricsBase(cli)}/metrics`)).text();
      assert.equal(sample(metrics, 'genesys_relay_resync_events_total{strategy="presence"}'), 50);
      assert.equal(sample(metrics, 'genesys_relay_resync_events_total{strategy="conversations"}'), 20);
      assert.equal(sample(metrics, 'genesys_relay_resync_gaps_total{outcome="unhealed"}'), 1);
      assert.equal(sample(metrics, 'genesys_relay_resync_unhealed_topics_total'), 1);
      assert.equal(sample(metrics, 'genesys_relay_resync_pending'), 0);
      assert.ok((sample(metrics, 'genesys_relay_resync_requests_total{endpoint="presence_bulk"}') ?? 0) >= 2);
      cli.kill('SIGTERM');
      assert.equal((await cli.exited).code, 0);
    } finally {
      cli.kill();
      await emulator.close();
      cleanup();
    }
  });

  it('after kill -9 and a restart, the start-up resync delivers what changed while the relay was down', async () => {
    const { emulator, env } = await emulatorWithEnv();
    const { dir, cleanup } = tempDir();
    const { config, ndjson } = writeConfig(dir);
    let cli = runRelay(dir, config, env);
    try {
      await cli.waitForStderr(/"state":"open"/, LOADED_CI_MS);
      await deliverInitialState(emulator, ndjson);
      cli.kill('SIGKILL');
      await cli.exited;
      changeWhileNobodyListens(emulator);
      cli = runRelay(dir, config, env);
      await assertHealed(ndjson);
      cli.kill('SIGTERM');
      assert.equal((await cli.exited).code, 0);
    } finally {
      cli.kill();
      await emulator.close();
      cleanup();
    }
  });
});
