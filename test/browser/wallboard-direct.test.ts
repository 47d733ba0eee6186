import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { eventKey } from '../../src/envelope/envelope.ts';
import { missingChromium, withChromium, withDemo } from './wallboard-harness.ts';

/** `genesys-relay demo --web` as a user runs it, and the direct-mode wallboard URL it prints. */
const DEMO = { dirPrefix: 'genesys-relay-direct-', urlLine: /^wallboard \(direct to Genesys\): (\S+)$/m };

/** The emulator's control API (same host as its API), as the test's hand on "Genesys". */
async function control(apiBase: string, route: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${apiBase}/control/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `control/${route} answered ${res.status}`);
  return res.json();
}

interface PageEvent {
  topicName: string;
  eventBody: unknown;
  correlationId: string | undefined;
  key: string;
}
interface PageGap {
  reason: string;
  startAt: number;
  endAt: number;
  topics: string[];
}

// Page-side code is given as text: the tests are type-checked without the DOM library.
const pageEvents = (page: Page): Promise<PageEvent[]> => page.evaluate<PageEvent[]>('window.wallboard.recentEvents');
const pageGaps = (page: Page): Promise<PageGap[]> => page.evaluate<PageGap[]>('window.wallboard.gaps');

function presenceShown(page: Page, userId: string, presence: string): Promise<unknown> {
  return page.waitForFunction(
    `document.querySelector('#agents tbody tr[data-id="${userId}"]')?.className === 'presence-${presence}'`,
    null,
    { timeout: 60_000 },
  );
}

describe(
  'wallboard in direct mode (genesys-relay/browser in headless Chromium, against the emulator)',
  {
    skip: missingChromium,
  },
  () => {
    it('shows presence published at Genesys, with relay.key as on Node; a dropped socket is a gap, then recovered', async () => {
      await withDemo(DEMO, async ({ dir, url }) => {
        const params = new URLSearchParams(new URL(url).hash.slice(1));
        const apiBase = params.get('direct') ?? '';
        const userId = /^v2\.users\.([^.?]+)/.exec(params.getAll('topic')[0] ?? '')?.[1] ?? '';
        assert.ok(apiBase && userId, url);
        // Only this test's events: the generator would overwrite the presence the test publishes.
        await control(apiBase, 'generator', { eventsPerSecond: 0 });
        const consoleErrors: string[] = [];
        await withChromium(dir, async (page) => {
          page.on('pageerror', (err) => consoleErrors.push(err.message));
          await page.goto(url);
          await page.waitForFunction(`document.getElementById('connection').textContent === 'live'`, null, {
            timeout: 60_000,
          });

          // A presence change published at "Genesys" appears on the page.
          const topic = `v2.users.${userId}.presence`;
          await control(apiBase, 'publish', { topic, eventBody: { presenceDefinition: { systemPresence: 'Meal' } } });
          await presenceShown(page, userId, 'Meal');
          const [seen] = await pageEvents(page);
          assert.ok(seen);
          assert.equal(seen.key, eventKey(seen.topicName, seen.correlationId, seen.eventBody), 'relay.key as on Node');

          // The socket is dropped (no close frame): the page's client records a gap, reconnects, and later events come.
          await control(apiBase, 'faults', { kind: 'drop' });
          await page.waitForFunction('window.wallboard.gaps.length >= 1', null, { timeout: 60_000 });
          await page.waitForFunction(`document.getElementById('connection').textContent === 'live'`, null, {
            timeout: 60_000,
          });
          await control(apiBase, 'publish', { topic, eventBody: { presenceDefinition: { systemPresence: 'Break' } } });
          await presenceShown(page, userId, 'Break');

          const [gap] = await pageGaps(page);
          assert.ok(gap);
          assert.equal(gap.reason, 'socket closed 1006');
          assert.ok(gap.topics.some((t) => t.startsWith(`v2.users.${userId}`)));
          assert.ok(gap.endAt >= gap.startAt);
          assert.equal(await page.textContent('#gaps'), '1', 'the gap is shown on the page');
          assert.match((await page.textContent('#last-gap')) ?? '', /socket closed 1006/);
          assert.equal(await page.textContent('#repeated'), '0');
          const events = await pageEvents(page);
          for (const e of events) assert.equal(e.key, eventKey(e.topicName, e.correlationId, e.eventBody));
          assert.deepEqual(consoleErrors, []);
        });
      });
    });
  },
);
