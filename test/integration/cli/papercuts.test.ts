import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { outboxPath } from '../../../src/outbox/state-dir.ts';
import { PRESENCE_A, runCli, tempDir } from './helpers.ts';

/** The CLI from the sources, runnable from any working directory (tsx resolved from here, not from the cwd). */
const CLI = [
  '--import',
  import.meta.resolve('tsx'),
  join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main-entry.ts'),
];
const CREDENTIALS = { GENESYS_CLIENT_ID: 'doctor-id', GENESYS_CLIENT_SECRET: 'doctor-secret-value' };
const DELIVERED = 100;
/** Events in the outbox; all but DELIVERED are dead letters. */
const DEAD_LETTERS = 3_000;

/** A port nothing listens on: bound by the OS, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

/** Fills a state dir's outbox with dead letters for sink "webhook": far more output than a pipe buffer holds. */
function outboxWithDeadLetters(dir: string): void {
  const outbox = new SqliteOutbox({ path: outboxPath(dir), pruneIntervalMs: 0 });
  try {
    outbox.setActiveSinks(['webhook']);
    for (let n = 0; n < DEAD_LETTERS; n += 1) {
      outbox.appendSync({
        topicName: PRESENCE_A,
        version: '2',
        eventBody: { n, padding: 'x'.repeat(200) },
        metadata: {},
        relay: { receivedAt: new Date().toISOString(), channelId: 'ch', key: `key-${n}` },
      });
    }
    const { events } = outbox.claim('webhook', DEAD_LETTERS);
    // The first DELIVERED were delivered (what replay re-sends), the rest dead-lettered.
    outbox.settle(
      'webhook',
      events.map((e, i) =>
        i < DELIVERED
          ? { seq: e.seq, action: 'ack' as const }
          : { seq: e.seq, action: 'deadLetter' as const, reason: `permanent: 400 for ${e.seq}` },
      ),
    );
  } finally {
    outbox.close();
  }
}

describe('CLI papercuts', () => {
  const { dir, cleanup } = tempDir();
  before(() => outboxWithDeadLetters(dir));
  after(cleanup);

  it('`dlq list --json | head -1` ends quietly with exit 0 when the reader goes away (no EPIPE trace)', async () => {
    const head = spawn(
      process.execPath,
      [...CLI, 'dlq', 'list', '--json', '--limit', String(DEAD_LETTERS), '--sink', 'webhook', '--state-dir', dir],
      { env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    head.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => head.once('exit', resolve));
    const firstChunk = await new Promise<string>((resolve) =>
      head.stdout.once('data', (c: Buffer) => resolve(c.toString())),
    );
    head.stdout.destroy(); // what `head -1` does after its first line
    assert.match(firstChunk.split('\n')[0] ?? '', new RegExp(`^\\{"seq":${DELIVERED + 1},"key":"key-${DELIVERED}"`));
    assert.equal(await exited, 0, stderr);
    assert.equal(stderr, '', 'no stack trace, no message');
  });

  it('`replay --sink X` without a range refuses (exit 2) and changes nothing; --all replays', async () => {
    const bare = await runCli(['replay', '--state-dir', dir, '--sink', 'webhook']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /replay needs a range: --from-seq N, --since ISO, or --all/);
    const both = await runCli(['replay', '--state-dir', dir, '--sink', 'webhook', '--all', '--from-seq', '3']);
    assert.equal(both.code, 2);
    const all = await runCli(['replay', '--state-dir', dir, '--sink', 'webhook', '--all']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, new RegExp(`^marked ${DELIVERED} event\\(s\\) of sink "webhook"`));
  });

  it('a bad flag value, an unknown option or a missing required option exits 2, not 1', async () => {
    const results = await Promise.all([
      runCli(['run', '--metrics-port', 'abc']),
      runCli(['dlq', 'list', '--sink', 'webhook', '--limit', '-1', '--state-dir', dir]),
      runCli(['status', '--no-such-flag']),
      runCli(['dlq', 'list', '--state-dir', dir]),
    ]);
    for (const r of results) assert.equal(r.code, 2, r.stderr);
    assert.match(results[0]?.stderr ?? '', /--metrics-port .*'abc' is invalid/);
  });

  it('--help shows environment variables, exit codes and examples (root and run)', async () => {
    for (const args of [['--help'], ['run', '--help']]) {
      const help = await runCli(args);
      assert.equal(help.code, 0);
      for (const expected of [
        /Environment:/,
        /GENESYS_CLIENT_SECRET/,
        /GENESYS_REGION/,
        /GENESYS_API_BASE/,
        /Exit codes:/,
        /^ {2}2 {4}bad configuration or usage/m,
        /Examples:\n {2}\$ .*\n {2}\$ genesys-relay /,
      ]) {
        assert.match(help.stdout, expected, `${args.join(' ')}: ${String(expected)}`);
      }
    }
  });
});

describe('doctor against hosts it cannot reach', () => {
  it('names the unreachable host instead of blaming the credentials, and creates no ./.state', async () => {
    const { dir: cwd, cleanup } = tempDir('genesys-relay-doctor-cwd-');
    try {
      const port = await closedPort();
      const refused = await runDoctorIn(cwd, { ...CREDENTIALS, GENESYS_LOGIN_BASE: `http://127.0.0.1:${port}` });
      assert.equal(refused.code, 1);
      assert.match(
        refused.stdout,
        new RegExp(`✗ token: host 127\\.0\\.0\\.1:${port} is unreachable \\(ECONNREFUSED\\)`),
      );
      assert.match(refused.stdout, /fix: check GENESYS_REGION \(or GENESYS_LOGIN_BASE\)/);
      assert.doesNotMatch(refused.stdout, /GENESYS_CLIENT_SECRET/, 'the secret was never sent, so never blamed');
      assert.match(refused.stdout, /state dir: \.\/\.state does not exist yet/);
      assert.equal(existsSync(join(cwd, '.state')), false, 'doctor changes nothing on disk');

      // RFC 6761: .invalid never resolves (a sandbox without DNS answers EAI_AGAIN instead).
      const unknown = await runDoctorIn(cwd, { ...CREDENTIALS, GENESYS_REGION: 'relay-test.invalid' });
      assert.equal(unknown.code, 1);
      assert.match(unknown.stdout, /✗ token: host login\.relay-test\.invalid is unreachable \((ENOTFOUND|EAI_AGAIN)\)/);
      assert.equal(existsSync(join(cwd, '.state')), false);
    } finally {
      cleanup();
    }
  });

  it('rejects an unknown region (exit 2) with the known ones, instead of calling https://api.nowhere', async () => {
    const nowhere = await runCli(['doctor'], { ...CREDENTIALS, GENESYS_REGION: 'nowhere' });
    assert.equal(nowhere.code, 2);
    assert.match(
      nowhere.stderr,
      /genesys\.region: unknown region "nowhere"; use a domain \(mypurecloud\.com, mypurecloud\.ie,/,
    );
    assert.match(nowhere.stderr, /SDK key \(us_east_1, eu_west_1,/);
  });
});

function runDoctorIn(
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, 'doctor'], {
      cwd,
      env: { ...process.env, CI: '1', GENESYS_API_BASE: '', GENESYS_LOGIN_BASE: '', GENESYS_REGION: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
