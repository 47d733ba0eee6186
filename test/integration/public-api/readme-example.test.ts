import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NotificationClient, type Gap, type RelayEvent } from '../../../src/index.ts';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';

// The README's library example, run through the public entry point against the emulator. The installed package
// runs the README's own text under plain node in test/package/tarball.test.ts.
describe('public API: the README example', () => {
  let emulator: EmulatorHandle;
  before(async () => {
    emulator = await startEmulator({ heartbeatMs: 50 });
  });
  after(async () => {
    await emulator.close();
  });

  it('streams events from a combined topic and reports a gap after a drop', async () => {
    const client = NotificationClient.clientCredentials({
      apiBase: emulator.apiBase,
      loginBase: emulator.loginBase,
      clientId: 'demo',
      clientSecret: 'demo',
      topics: ['v2.users.u-1?presence&routingStatus'],
    });
    const gaps: Gap[] = [];
    client.on('gap', (gap) => gaps.push(gap));
    try {
      await client.start();
      emulator.publish('v2.users.u-1.presence', undefined, 2);
      emulator.publish('v2.users.u-1.routingStatus');
      const received: RelayEvent[] = [];
      for await (const event of client.events()) {
        received.push(event);
        if (received.length === 3) break;
      }
      assert.deepEqual(received.map((e) => e.topicName).sort(), [
        'v2.users.u-1.presence',
        'v2.users.u-1.presence',
        'v2.users.u-1.routingStatus',
      ]);
      assert.equal(new Set(received.map((e) => e.relay.key)).size, 3);

      const gapSeen = new Promise<void>((resolve) => client.on('gap', () => resolve()));
      emulator.fault({ kind: 'drop' });
      await gapSeen;
      assert.equal(gaps.length, 1);
      assert.ok(gaps[0]!.endAt >= gaps[0]!.startAt);
    } finally {
      await client.close();
    }
    assert.equal(client.status().phase, 'closed');
  });
});
