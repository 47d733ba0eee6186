import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { SqliteOutbox } from '../../src/outbox/sqlite-outbox.ts';
import { INSTALL_COMMAND, SKIP_INFRA_ENV } from '../helpers/infra.ts';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PREFIXES = ['v2.users.', 'v2.routing.queues.'];
const root = join(import.meta.dirname, '..', '..');

/** `genesys-relay demo --web` as a user runs it; resolves with the wallboard URL it prints. */
function startDemo(stateDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main-entry.ts'), 'demo', '--web', '--state-dir', stateDir].concat([
      '--fault-every-s',
      '0',
      '--sink-outage-every-s',
      '0',
      '--events-per-second',
      '20',
    ]),
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
      const match = /^wallboard: (\S+)$/m.exec(text);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.on('exit', (code) => reject(new Error(`demo exited (${code}) before printing the wallboard URL: ${text}`)));
  });
}

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

const missingChromium =
  !existsSync(CHROMIUM) && process.env[SKIP_INFRA_ENV] === '1' ? `no ${CHROMIUM} and ${SKIP_INFRA_ENV}=1` : false;

describe('wallboard in headless Chromium', { skip: missingChromium }, () => {
  it('shows presence live, and a reload resumes the stream with nothing missed or repeated', async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run ${INSTALL_COMMAND}`);
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-wallboard-'));
    const { child, url } = await startDemo(join(dir, 'demo'));
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1000, height: 620 },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
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
      const shot = process.env.WALLBOARD_SCREENSHOT === '1' ? join(root, 'docs', 'wallboard.png') : join(dir, 'w.png');
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
    } finally {
      await context.close();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
