import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { startEmulator } from '../../../src/emulator/index.ts';
import { startServiceNowFake } from '../../../src/emulator/servicenow/index.ts';
import { loadConfig, requireCredentials } from '../../../src/config/load.ts';
import { memoryLogger, serviceNowRelayConfig, until } from './relay-harness.ts';
import { createRelay } from '../../../src/service/relay.ts';

const TOPIC = 'v2.users.33333333-3333-3333-3333-333333333333.presence';
const GENESYS_SECRET = 'genesys-secret-5c1d2e';
const SN_PASSWORD = 'sn-password-77aa10';

describe('createRelay (in process)', () => {
  it('wires client → outbox → ndjson + ServiceNow sinks; status and logs are truthful and secret-free', async () => {
    const emulator = await startEmulator({ heartbeatMs: 500, clients: [{ id: 'svc', secret: GENESYS_SECRET }] });
    const servicenow = await startServiceNowFake({ users: { relay: SN_PASSWORD } });
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-service-'));
    const stdout = new PassThrough();
    const ndjson: string[] = [];
    stdout.on('data', (chunk: Buffer) => ndjson.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const { logger, lines: logLines } = memoryLogger([GENESYS_SECRET, SN_PASSWORD]);
    const config = serviceNowRelayConfig({
      emulator,
      genesysSecret: GENESYS_SECRET,
      topic: TOPIC,
      stateDir: join(dir, 'state'),
      servicenowUrl: servicenow.url,
      servicenowPassword: SN_PASSWORD,
    });
    const relay = createRelay(config, { logger, stdout });
    try {
      await relay.start();
      assert.equal(relay.status().phase, 'running');
      assert.equal(relay.status().readiness.ready, true);

      emulator.publish(TOPIC, undefined, 7);
      // The dispatcher acknowledges a batch only after the sink returned, so wait for its books, not the targets'.
      await until(() => relay.status().sinks.every((s) => s.run.delivered >= 7), 'both sinks to acknowledge 7 events');
      assert.equal(ndjson.length, 7);
      assert.equal(servicenow.records('u_genesys_event').length, 7);
      const status = relay.status();
      assert.equal(status.committed, 7);
      assert.equal(status.client.eventsReceived, 7);
      assert.equal(status.lastEventTopic, TOPIC);
      assert.equal(status.socketsOpen, 1);
      assert.deepEqual(
        status.sinks.map((s) => [s.name, s.run.delivered, s.pending]),
        [
          ['ndjson', 7, 0],
          ['servicenow', 7, 0],
        ],
      );
      const keys = new Set(ndjson.map((l) => (JSON.parse(l) as { relay: { key: string } }).relay.key));
      assert.equal(keys.size, 7);

      const metrics = await relay.metrics.registry.getSingleMetricAsString('genesys_relay_events_delivered_total');
      assert.match(metrics, /sink="servicenow"\} 7/);

      const exposed = `${JSON.stringify(status)}\n${logLines.join('')}`;
      assert.ok(!exposed.includes(GENESYS_SECRET), 'Genesys secret leaked into status or logs');
      assert.ok(!exposed.includes(SN_PASSWORD), 'ServiceNow password leaked into status or logs');
      assert.ok(logLines.some((l) => l.includes('"audit":true') && l.includes('"event":"session.state"')));
    } finally {
      await relay.close({ drainTimeoutMs: 2_000 });
      await relay.close();
      assert.equal(relay.status().phase, 'closed');
      assert.equal(relay.status().readiness.ready, false);
      await servicenow.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start without topics, naming the field', () => {
    const config = requireCredentials(
      loadConfig({}, { env: { GENESYS_CLIENT_ID: 'a', GENESYS_CLIENT_SECRET: 'bbbb' } }),
    );
    assert.throws(() => createRelay(config), /^ConfigError: topics: none configured/);
  });
});
