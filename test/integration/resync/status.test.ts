import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { PendingGapFile, pendingGapsPath } from '../../../src/resync/index.ts';
import { runCli, tempDir } from '../cli/helpers.ts';

describe('status shows pending resyncs', () => {
  it('reports the gaps a stopped relay has not healed yet, in text and JSON', async () => {
    const { dir, cleanup } = tempDir();
    try {
      new SqliteOutbox({ path: join(dir, 'outbox.sqlite'), pruneIntervalMs: 0 }).close();
      const none = await runCli(['status', '--state-dir', dir]);
      assert.match(none.stdout, /^gap healing: no resync pending$/m);
      const startAt = Date.now() - 3 * 3_600_000;
      new PendingGapFile(pendingGapsPath(dir)).save([
        {
          id: 'g1',
          startAt,
          endAt: startAt + 1_000,
          topics: ['v2.users.a.presence', 'v2.users.b.presence'],
          reason: 'x',
        },
        { id: 'g2', startAt: startAt + 5_000, endAt: startAt + 6_000, topics: ['v2.users.a.presence'], reason: 'y' },
      ]);
      const text = await runCli(['status', '--state-dir', dir]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^gap healing: 2 gap\(s\) pending resync over 2 topic\(s\), oldest from 3h\S* ago$/m);
      const json = await runCli(['status', '--state-dir', dir, '--json']);
      const parsed = JSON.parse(json.stdout) as { resyncPending: Array<{ id: string }> };
      assert.deepEqual(
        parsed.resyncPending.map((g) => g.id),
        ['g1', 'g2'],
      );
    } finally {
      cleanup();
    }
  });
});
