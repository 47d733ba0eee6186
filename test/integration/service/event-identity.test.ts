import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { startEmulator } from '../../../src/emulator/index.ts';
import { startServiceNowFake } from '../../../src/emulator/servicenow/index.ts';
import { createRelay } from '../../../src/service/relay.ts';
import { memoryLogger, serviceNowRelayConfig, until } from './relay-harness.ts';

const TOPIC = 'v2.users.44444444-4444-4444-4444-444444444444.presence';
const GENESYS_SECRET = 'genesys-secret-identity';
const SN_PASSWORD = 'sn-password-identity';

describe('event identity end to end (issue 8 item 3)', () => {
  it('distinct events sharing one CorrelationId all reach the outbox, the ndjson sink and ServiceNow', async () => {
    const emulator = await startEmulator({ heartbeatMs: 500, clients: [{ id: 'svc', secret: GENESYS_SECRET }] });
    const servicenow = await startServiceNowFake({ users: { relay: SN_PASSWORD } });
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-identity-'));
    const stdout = new PassThrough();
    const ndjson: string[] = [];
    stdout.on('data', (chunk: Buffer) => ndjson.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const { logger } = memoryLogger([GENESYS_SECRET, SN_PASSWORD]);
    const config = serviceNowRelayConfig({
      emulator,
      genesysSecret: GENESYS_SECRET,
      topic: TOPIC,
      stateDir: join(dir, 'state'),
      servicenowUrl: servicenow.url,
      servicenowPassword: SN_PASSWORD,
    });
    const relay = createRelay(config, { logger, stdout });
    const published = 799;
    try {
      await relay.start();
      // Generated presence bodies differ from one another; the CorrelationId is the same for all of them.
      emulator.publish(TOPIC, undefined, published, 'one-upstream-operation');
      await until(
        () => relay.status().sinks.every((s) => s.run.delivered >= published),
        `both sinks to acknowledge ${published} events`,
        60_000,
      );
      const lines = ndjson.map((l) => JSON.parse(l) as { metadata: Record<string, unknown>; relay: { key: string } });
      assert.equal(lines.length, published);
      assert.ok(lines.every((l) => l.metadata['CorrelationId'] === 'one-upstream-operation'));
      const sequences = new Set(lines.map((l) => l.metadata['emulatorSequence']));
      assert.equal(sequences.size, published, 'every published event delivered once');
      assert.equal(new Set(lines.map((l) => l.relay.key)).size, published, 'one key per event');
      assert.equal(relay.status().committed, published);
      assert.equal(relay.status().client.duplicatesDropped, 0, 'no copies outside a rollover');
      const records = servicenow.records('u_genesys_event');
      assert.equal(new Set(records.map((r) => r['u_event_key'])).size, published, 'ServiceNow coalesces nothing');
    } finally {
      await relay.close();
      await servicenow.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
