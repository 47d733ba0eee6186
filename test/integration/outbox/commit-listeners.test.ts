import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { makeEvent, tempDir } from './helpers.ts';

describe('SqliteOutbox commit listeners', () => {
  let dir: { dir: string; cleanup: () => void };
  let outbox: SqliteOutbox;
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);

  beforeEach(() => {
    dir = tempDir();
    outbox = new SqliteOutbox({ path: join(dir.dir, 'outbox.db'), pruneIntervalMs: 0 });
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
    outbox.close();
    dir.cleanup();
  });

  it('a throwing listener neither fails the commit nor keeps the other listeners from hearing of it', async () => {
    let woken = 0;
    outbox.onCommit(() => {
      throw new Error('listener bug');
    });
    outbox.onCommit(() => void woken++);
    const results = await Promise.all([outbox.append(makeEvent(1)), outbox.append(makeEvent(2))]);
    // Before: the listener ran inside the commit, so its error made the written group look failed; the retry then
    // found both keys stored and reported them as duplicates, without a sequence number.
    assert.deepEqual(
      results.map((r) => [r.duplicate, typeof r.seq]),
      [
        [false, 'number'],
        [false, 'number'],
      ],
    );
    assert.equal(woken, 1, 'the second listener was called for the commit');
    assert.equal(outbox.writeBlockedReason, undefined);
    assert.equal(outbox.stats().events, 2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      warnings.map((w) => w.message),
      ['listener bug'],
    );
  });
});
