import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir } from './helpers.ts';

/** The CLI from the sources, runnable from any working directory (tsx resolved from here, not from the cwd). */
const CLI = [
  '--import',
  import.meta.resolve('tsx'),
  join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main-entry.ts'),
];
const CREDENTIALS = { GENESYS_CLIENT_ID: 'doctor-id', GENESYS_CLIENT_SECRET: 'doctor-secret-value' };
/** Deadline for one CLI run: tsx compiles the sources at each start, seconds on a loaded CI machine. */
const SLOW_START_MS = 60_000;

/** A port nothing listens on: bound by the OS, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

describe('--help', () => {
  it('--help shows environment variables, exit codes and examples (root and run)', async () => {
    for (const args of [['--help'], ['run', '--help']]) {
      const help = await runCli(args, {}, SLOW_START_MS);
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
    const nowhere = await runCli(['doctor'], { ...CREDENTIALS, GENESYS_REGION: 'nowhere' }, SLOW_START_MS);
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
