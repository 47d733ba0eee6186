import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { outboxPath } from '../../../src/outbox/state-dir.ts';
import { tempDir } from '../outbox/helpers.ts';
import { readyz, startRelay, TOPIC, until } from '../outbox/relay-storage.ts';
import { holdWriteLock } from '../outbox/write-lock-holder.ts';
import { presenceBody } from './rig.ts';

/** Long enough for the gap, its reconnect and the resync's read to happen while commits are refused. */
const HOLD_MS = 4_000;

describe('a live event waiting for its commit, and a resync of the same entity', () => {
  it('the resync knows the live state from the append on: it emits nothing older or equal behind it', async () => {
    const { dir, cleanup } = tempDir();
    const stateDir = join(dir, 'state');
    const under = await startRelay(stateDir, { resync: { delayMs: 100 } });
    const { emulator, relay, base } = under;
    const resync = (): { healed: number; emitted: number; running: boolean } =>
      relay.status().resync ?? { healed: 0, emitted: 0, running: false };
    const presences = (): string[] =>
      under.lines.map((line) => {
        const event = JSON.parse(line) as {
          eventBody: { presenceDefinition: { systemPresence: string } };
          relay: { source?: string };
        };
        return `${event.relay.source}:${event.eventBody.presenceDefinition.systemPresence}`;
      });
    const wait = (condition: () => boolean, what: string, ms?: number): Promise<boolean> =>
      until(() => Promise.resolve(condition() ? true : undefined), what, ms);
    try {
      emulator.publish(TOPIC, presenceBody('Available', Date.now()));
      await wait(() => under.lines.length === 1, 'the first state delivered');

      const lock = await holdWriteLock(outboxPath(stateDir), HOLD_MS);
      emulator.publish(TOPIC, presenceBody('Busy', Date.now()));
      // The relay read it and appended it: its commit is refused while the lock is held.
      await until(async () => ((await readyz(base)).status === 503 ? true : undefined), 'a refused commit (503)');
      // A gap while Busy waits for its commit: the resync re-reads Busy (the emulator's current state).
      emulator.fault({ kind: 'drop' });
      // Healed at once, or (before the fix) still running: its event waits for a commit like the live one.
      await wait(() => resync().healed >= 1 || resync().running, 'the resync to run while the lock is held', HOLD_MS);
      await lock.released;
      await wait(() => under.lines.length >= 2 && resync().healed >= 1, 'Busy delivered, the gap healed');
      await new Promise((resolve) => setTimeout(resolve, 300)); // a late resync line would show by now
      // Before: the live state was recorded only once committed, so the resync took Busy for news and emitted it
      // behind the live event; had the read been older than the live event, the sink would have ended with it.
      assert.deepEqual(presences(), ['notification:Available', 'notification:Busy']);
      assert.equal(resync().emitted, 0);
    } finally {
      await under.stop();
      cleanup();
    }
  });
});
