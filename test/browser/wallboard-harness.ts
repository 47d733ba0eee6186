import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { INSTALL_COMMAND, SKIP_INFRA_ENV } from '../helpers/infra.ts';

/** Debian's Chromium (playwright-core downloads no browser here); test/helpers/provision-infra.ts installs it. */
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
export const root = join(import.meta.dirname, '..', '..');

/** The describe's skip option: skipped only when Chromium is missing and infra tests are explicitly opted out of. */
export const missingChromium =
  !existsSync(CHROMIUM) && process.env[SKIP_INFRA_ENV] === '1' ? `no ${CHROMIUM} and ${SKIP_INFRA_ENV}=1` : false;

export interface DemoOptions {
  /** Prefix of the temp directory holding the demo's state and the browser profile. */
  dirPrefix: string;
  /** Demo flags after the fault-free defaults (no injected faults, no sink outages). */
  args?: readonly string[];
  /** The stdout line that carries the wallboard URL, captured as group 1. */
  urlLine: RegExp;
}

/**
 * Runs `genesys-relay demo --web` as a user runs it (state in a fresh temp dir), gives `body` the printed wallboard
 * URL, then stops the demo and removes the dir whatever `body` did.
 */
export async function withDemo(
  options: DemoOptions,
  body: (demo: { dir: string; url: string }) => Promise<void>,
): Promise<void> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run ${INSTALL_COMMAND}`);
  const dir = mkdtempSync(join(tmpdir(), options.dirPrefix));
  let child: ChildProcess | undefined;
  try {
    const demo = await startDemo(join(dir, 'demo'), options);
    child = demo.child;
    await body({ dir, url: demo.url });
  } finally {
    // A demo that already exited would never emit 'exit' again: wait only for one still running.
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Headless Chromium with its profile under `dir`; `body` gets its first page, and the browser is closed after. */
export async function withChromium(
  dir: string,
  body: (page: Page, context: BrowserContext) => Promise<void>,
): Promise<void> {
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1000, height: 620 },
  });
  try {
    await body(context.pages()[0] ?? (await context.newPage()), context);
  } finally {
    await context.close();
  }
}

function startDemo(stateDir: string, options: DemoOptions): Promise<{ child: ChildProcess; url: string }> {
  const args = ['--import', 'tsx', join(root, 'src/cli/main-entry.ts'), 'demo', '--web', '--state-dir', stateDir];
  const child = spawn(
    process.execPath,
    args.concat(['--fault-every-s', '0', '--sink-outage-every-s', '0'], options.args ?? []),
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
      const match = options.urlLine.exec(text);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.on('exit', (code) => reject(new Error(`demo exited (${code}) before printing the wallboard URL: ${text}`)));
  });
}
