import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { startEmulator } from '../../../src/emulator/index.ts';
import { startServiceNowFake } from '../../../src/emulator/servicenow/index.ts';
import { memoryLogger, serviceNowRelayConfig, until } from './relay-harness.ts';
import { createRelay, type Relay } from '../../../src/service/relay.ts';
import type { SinkStatus } from '../../../src/service/relay-status.ts';

const TOPIC = 'v2.users.44444444-4444-4444-4444-444444444444.presence';
const GENESYS_SECRET = 'genesys-secret-9a8b7c';
/** The relay's ServiceNow password, which the instance does not accept until the operator fixes the account. */
const SN_PASSWORD = 'sn-rotated-Pa55-31f0';

function serviceNowStatus(relay: Relay): SinkStatus {
  const status = relay.status().sinks.find((s) => s.name === 'servicenow');
  assert.ok(status, 'the servicenow sink is in status()');
  return status;
}

async function blockedGauge(relay: Relay): Promise<string> {
  return relay.metrics.registry.getSingleMetricAsString('genesys_relay_sink_blocked');
}

describe('relay with a ServiceNow sink whose password is wrong', () => {
  it('keeps every event queued (0 dead letters) while blocked, then delivers all once the password works', async () => {
    const emulator = await startEmulator({ heartbeatMs: 500, clients: [{ id: 'svc', secret: GENESYS_SECRET }] });
    // The instance knows no user "relay" yet: every request of the sink gets 401.
    const servicenow = await startServiceNowFake({ users: { admin: 'admin' } });
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-blocked-'));
    const { logger, lines: logLines } = memoryLogger([GENESYS_SECRET, SN_PASSWORD]);
    const audits = (event: string): number => logLines.filter((l) => l.includes(`"event":"${event}"`)).length;
    const config = serviceNowRelayConfig({
      emulator,
      genesysSecret: GENESYS_SECRET,
      topic: TOPIC,
      stateDir: join(dir, 'state'),
      servicenowUrl: servicenow.url,
      servicenowPassword: SN_PASSWORD,
      outbox: { maxAttempts: 2, blockedRetryMs: 200, retryBaseMs: 50, retryMaxMs: 100 },
    });
    const relay = createRelay(config, { logger, stdout: new PassThrough() });
    const refused = (): number => servicenow.requests.filter((r) => r.status === 401).length;
    try {
      await relay.start();
      assert.match(await blockedGauge(relay), /sink="servicenow"\} 0/, 'exported as 0 before any block');

      emulator.publish(TOPIC, undefined, 6);
      await until(() => serviceNowStatus(relay).blocked !== undefined, 'the sink to be blocked');
      // Far more retries than maxAttempts (2): none of them may count.
      await until(() => refused() >= 5, 'the blocked sink to be retried periodically');
      emulator.publish(TOPIC, undefined, 4);
      await until(() => serviceNowStatus(relay).pending === 10, 'all 10 events queued for ServiceNow');
      await until(() => refused() >= 8, 'more periodic retries with the whole backlog');

      const blocked = serviceNowStatus(relay);
      assert.equal(blocked.dead, 0);
      assert.equal(blocked.run.deadLettered, 0);
      assert.equal(blocked.run.delivered, 0);
      assert.match(blocked.blocked?.reason ?? '', /HTTP 401 .*check servicenow\.auth username and password/);
      assert.match(await blockedGauge(relay), /sink="servicenow"\} 1/);
      assert.match(await blockedGauge(relay), /sink="ndjson"\} 0/, 'the other sink is not affected');
      assert.equal(relay.status().sinks.find((s) => s.name === 'ndjson')?.run.delivered, 10);
      assert.equal(audits('delivery.blocked'), 1, 'one audit line per block, not per retry');
      assert.equal(audits('delivery.dead-letter'), 0);
      assert.equal(servicenow.records('u_genesys_event').length, 0);

      servicenow.setUser('relay', SN_PASSWORD);
      await until(() => serviceNowStatus(relay).run.delivered === 10, 'the backlog delivered once the password works');
      const records = servicenow.records('u_genesys_event');
      assert.equal(records.length, 10);
      assert.equal(new Set(records.map((r) => r['u_event_key'])).size, 10, 'no duplicate records');
      const after = serviceNowStatus(relay);
      assert.deepEqual([after.pending, after.dead, after.blocked], [0, 0, undefined]);
      assert.match(await blockedGauge(relay), /sink="servicenow"\} 0/);
      assert.equal(audits('delivery.unblocked'), 1);

      const exposed = `${JSON.stringify(relay.status())}\n${logLines.join('')}`;
      assert.ok(!exposed.includes(SN_PASSWORD), 'the ServiceNow password leaked into status or logs');
    } finally {
      await relay.close({ drainTimeoutMs: 2_000 });
      await servicenow.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
