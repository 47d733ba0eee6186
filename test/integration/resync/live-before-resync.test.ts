import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { startEmulator } from '../../../src/emulator/index.ts';
import { outboxPath } from '../../../src/outbox/state-dir.ts';
import { createRelay } from '../../../src/service/relay.ts';
import { tempDir } from '../outbox/helpers.ts';
import { holdWriteLock } from '../outbox/write-lock-holder.ts';
import { readyz } from '../outbox/relay-storage.ts';
import { emulatorRelayConfig, memoryLogger, until } from '../service/relay-harness.ts';
import { presenceBody, userId } from './rig.ts';

const USER = userId(7);
const TOPIC = `v2.users.${USER}.presence`;
/** Long enough for the gap, its reconnect and the resync's read to happen while commits are refused. */
const HOLD_MS = 4_000;

describe('a live event waiting for its commit, and a resync of the same entity', () => {
  it('the resync knows the live state from the append on: it emits nothing older or equal behind it', async () => {
    const { dir, cleanup } = tempDir();
    const emulator = await startEmulator({ heartbeatMs: 200 });
    const stateDir = join(dir, 'state');
    const file = {
      topics: [TOPIC],
      stateDir,
      session: { heartbeatMs: 200 },
      metrics: { port: 0 },
      outbox: { pollIntervalMs: 100 },
      resync: { delayMs: 100 },
      sinks: [{ type: 'ndjson', path: '-' }],
    };
    const stdout = new PassThrough();
    const lines: Array<{ topicName: string; eventBody: unknown; relay: { source?: string } }> = [];
    stdout.setEncoding('utf8');
    let rest = '';
    stdout.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) if (part !== '') lines.push(JSON.parse(part) as (typeof lines)[number]);
    });
    const { logger } = memoryLogger([]);
    const relay = createRelay(emulatorRelayConfig(emulator, file), { logger, stdout });
    const presences = (): string[] =>
      lines.map(
        (l) =>
          `${l.relay.source}:${(l.eventBody as { presenceDefinition: { systemPresence: string } }).presenceDefinition.systemPresence}`,
      );
    try {
      await relay.start();
      const base = relay.status().metricsUrl ?? '';
      emulator.publish(TOPIC, presenceBody('Available', Date.now()));
      await until(() => lines.length === 1, 'the first state delivered');

      const lock = await holdWriteLock(outboxPath(stateDir), HOLD_MS);
      emulator.publish(TOPIC, presenceBody('Busy', Date.now()));
      // The relay read it and appended it: its commit is refused while the lock is held.
      await untilAsync(async () => (await readyz(base)).status === 503, 'a refused commit (readyz 503)');
      // A gap while Busy waits for its commit: the resync re-reads Busy (the emulator's current state).
      emulator.fault({ kind: 'drop' });
      // Healed at once, or (before the fix) still running: its event waits for a commit like the live one.
      await until(
        () => (relay.status().resync?.healed ?? 0) >= 1 || relay.status().resync?.running === true,
        'the resync of the gap to run while the lock is held',
        HOLD_MS,
      );
      await lock.released;
      await until(() => lines.length >= 2 && (relay.status().resync?.healed ?? 0) >= 1, 'Busy delivered, gap healed');
      await new Promise((resolve) => setTimeout(resolve, 300)); // a late resync line would show by now
      // Before: the live state was recorded only once committed, so the resync took Busy for news and emitted it
      // behind the live event; had the read been older than the live event, the sink would have ended with it.
      assert.deepEqual(presences(), ['notification:Available', 'notification:Busy']);
      assert.equal(relay.status().resync?.emitted, 0);
    } finally {
      await relay.close({ drainTimeoutMs: 2_000 });
      await emulator.close();
      cleanup();
    }
  });
});

async function untilAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
