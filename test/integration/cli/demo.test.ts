import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, tempDir } from './helpers.ts';

describe('demo: a sink outage heals on screen', () => {
  it('shows its webhook receiver going down and the outbox draining after it, none lost', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const demo = await runCli(
        // One 1 s outage at 1 s; the demo's retries wait at most 2 s, so the queue drains well before 7 s.
        ['demo', '--duration-s', '7', '--events-per-second', '20', '--fault-every-s', '0', '--state-dir', dir].concat([
          '--sink-outage-at-s',
          '1',
          '--sink-outage-s',
          '1',
          '--sink-outage-every-s',
          '600',
        ]),
        {},
        60_000,
      );
      assert.equal(demo.code, 0, demo.stderr);
      const ticks = demo.stdout.split('\n').filter((l) => l.startsWith('t='));
      const phases = ticks.map((l) => /outage=(\w+)/.exec(l)?.[1]);
      assert.ok(phases.includes('down'), demo.stdout);
      assert.equal(phases.at(-1), 'drained', demo.stdout);
      const last = ticks.at(-1) ?? '';
      const committed = Number(/committed=(\d+)/.exec(last)?.[1]);
      assert.ok(committed > 0, last);
      assert.match(last, new RegExp(`receiver=${committed}/depth 0`), 'the receiver got every committed event');
      assert.match(last, /lost-in-gaps=\d+/);
    } finally {
      cleanup();
    }
  });
});
