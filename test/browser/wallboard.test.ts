import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { SqliteOutbox } from '../../src/outbox/sqlite-outbox.ts';
import { missingChromium, root, withChromium, withDemo } from './wallboard-harness.ts';

const PREFIXES = ['v2.users.', 'v2.routing.queues.'];
const DEMO = {
  dirPrefix: 'genesys-relay-wallboard-',
  args: ['--events-per-second', '20'],
  urlLine: /^wallboard: (\S+)$/m,
};

interface BoardCounts {
  received: number;
  repeated: number;
  resumes: number;
  /** Sequences the page applied, across reloads (its saved state). */
  recentSeqs: number[];
}

// Page-side code is given as text: the tests are type-checked without the DOM library.
async function board(page: Page): Promise<BoardCounts> {
  return page.evaluate<BoardCounts>('({ ...window.wallboard.state })');
}

function receivedAtLeast(page: Page, n: number): Promise<unknown> {
  return page.waitForFunction(`Number(document.getElementById('received').textContent) >= ${n}`, null, {
    timeout: 60_000,
  });
}

describe('wallboard in headless Chromium', { skip: missingChromium }, () => {
  it('shows presence live, and a reload resumes the stream with nothing missed or repeated', async () => {
    await withDemo(DEMO, ({ dir, url }) =>
      withChromium(dir, async (page) => {
        await page.goto(url);
        // Presence changes reach the page: agent rows with a system presence, and the count goes on growing.
        await page.waitForSelector('#agents tbody tr[class^="presence-"]:not(.presence-—)', { timeout: 60_000 });
        await receivedAtLeast(page, 40);
        assert.equal(await page.textContent('#connection'), 'live');
        const before = await board(page);

        await page.reload();
        await receivedAtLeast(page, before.received + 40);
        const after = await board(page);
        assert.equal(after.resumes, 1, 'the reload resumed with Last-Event-ID');
        assert.equal(after.repeated, 0, 'no event shown twice');
        // docs/wallboard.png (README) is refreshed only on request, so a test run leaves the tree clean.
        const shot =
          process.env.WALLBOARD_SCREENSHOT === '1' ? join(root, 'docs', 'wallboard.png') : join(dir, 'w.png');
        assert.ok((await page.screenshot({ path: shot })).length > 0);

        // Against the relay's outbox: every committed event from the page's first to its last, each once.
        const seen = after.recentSeqs;
        assert.ok(seen.length > before.recentSeqs.length, 'events before and after the reload');
        assert.equal(new Set(seen).size, seen.length, 'no sequence twice across the reload');
        const first = Math.min(...seen);
        const last = Math.max(...seen);
        const outbox = new SqliteOutbox({ path: join(dir, 'demo', 'state', 'outbox.sqlite'), recoverInflight: false });
        try {
          const committed = outbox.readAfter(first - 1, last - first + 1, PREFIXES).events.map((e) => e.seq);
          assert.deepEqual(
            seen,
            committed.filter((seq) => seq <= last),
          );
        } finally {
          outbox.close();
        }
      }),
    );
  });
});
