import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CONSUMER_SOURCE,
  CONSUMER_TSCONFIG,
  installTarball,
  packInto,
  readmeLibraryExample,
  REPO,
  run,
  type PackResult,
} from './consumer-project.ts';

import type * as EmulatorEntry from '../../src/emulator/index.ts';

type EmulatorModule = typeof EmulatorEntry;

// The package as a user gets it: `npm pack`, installed from the file into an empty project, used without tsx.
describe('package: the packed tarball in a fresh project', () => {
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-package-'));
  const project = join(dir, 'consumer');
  // Plain node: no tsx loader inherited from the test runner.
  const env = { ...process.env, NODE_OPTIONS: '' };
  let pack: PackResult;

  before(() => {
    pack = packInto(dir);
    installTarball(project, join(dir, pack.filename));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ships dist/, the docs, the examples, README, LICENSE and CHANGELOG, and nothing of the repository besides', (t) => {
    const paths = pack.files.map((f) => f.path);
    t.diagnostic(`tarball ${pack.size} bytes, unpacked ${pack.unpackedSize} bytes, ${pack.entryCount} files`);
    for (const path of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']) {
      assert.ok(paths.includes(path), `${path} is in the tarball`);
    }
    assert.ok(paths.includes('dist/cli/main-entry.js'));
    // demo --web serves the page and the browser bundle from the installed package.
    for (const path of ['examples/wallboard/index.html', 'dist/browser/genesys-relay.browser.js']) {
      assert.ok(paths.includes(path), `${path} is in the tarball`);
    }
    const stray = paths.filter(
      (p) => !/^(dist|docs|examples)\/|^(LICENSE|README\.md|CHANGELOG\.md|package\.json)$/.test(p),
    );
    assert.deepEqual(stray, []);
    assert.deepEqual(
      paths.filter((p) => /\.test\.|\.ts$/.test(p) && !p.endsWith('.d.ts')),
      [],
      'no tests, no TypeScript sources',
    );
  });

  it('imports every entry point under plain node, with no tsx or esbuild installed', () => {
    for (const name of ['tsx', 'esbuild', 'typescript-eslint']) {
      assert.equal(existsSync(join(project, 'node_modules', name)), false, `${name} is not a runtime dependency`);
    }
    const script = `
      import * as relay from 'genesys-relay';
      import * as emulator from 'genesys-relay/emulator';
      import * as testing from 'genesys-relay/testing';
      import * as nats from 'genesys-relay/nats';
      import * as browser from 'genesys-relay/browser';
      const outbox = new relay.SqliteOutbox({ path: process.argv[1] });
      outbox.close();
      console.log(JSON.stringify([relay, emulator, testing, nats, browser].map((m) => Object.keys(m).length)));
      console.log(typeof relay.NotificationClient.clientCredentials, typeof emulator.startEmulator, typeof browser.BrowserNotificationClient);`;
    const out = run(process.execPath, ['--input-type=module', '-e', script, join(dir, 'outbox.sqlite')], project, env);
    const [counts, kinds] = out.trim().split('\n');
    assert.ok(
      (JSON.parse(counts ?? '[]') as number[]).every((n) => n > 0),
      out,
    );
    assert.equal(kinds, 'function function function');
  });

  it("runs the installed bin: --version prints package.json's version", () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const bin = join(project, 'node_modules', '.bin', 'genesys-relay');
    assert.equal(run(bin, ['--version'], project, env).trim(), version);
    assert.match(run(bin, ['--help'], project, env), /Usage: genesys-relay/);
  });

  it('type-checks a strict NodeNext consumer and the README example with skipLibCheck off: 0 errors', () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_SOURCE);
    writeFileSync(join(project, 'readme-example.ts'), readmeLibraryExample());
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    assert.equal(run(process.execPath, [tsc, '-p', project], project, env), '');
  });

  it('runs the README example against the packaged emulator; it exits by itself after one close()', async () => {
    const entry = join(project, 'node_modules', 'genesys-relay', 'dist', 'emulator', 'index.js');
    const { startEmulator } = (await import(pathToFileURL(entry).href)) as EmulatorModule;
    const emulator = await startEmulator({ port: 0 });
    try {
      await runReadmeExample(project, emulator, env);
    } finally {
      await emulator.close();
    }
  });
});

type Emulator = Awaited<ReturnType<EmulatorModule['startEmulator']>>;

/** Waits for the example's socket, publishes three events, reads them from its stdout, then sends SIGINT. */
async function runReadmeExample(project: string, emulator: Emulator, env: NodeJS.ProcessEnv): Promise<void> {
  const example = spawnExample(project, emulator, env);
  try {
    await until(() => emulator.state().channels.some((c) => c.connected && c.topics.length > 0), 'a subscribed socket');
    // Published until three arrive: on a loaded machine the example may reconnect, and an event published while it
    // has no socket is gone (as with Genesys), which is not what this test is about.
    const topics = ['v2.users.u-1.presence', 'v2.users.u-1.routingStatus'];
    const deadline = Date.now() + 60_000;
    for (let i = 0; example.lines.length < 3; i++) {
      if (Date.now() > deadline) assert.fail(`no three events on stdout within 60 s:\n${example.stderr()}`);
      emulator.publish(topics[i % 2] ?? '');
      await delay(200);
    }
    const [topicsSeen, keys] = [example.lines.map((l) => l.split(' ')[0]), example.lines.map((l) => l.split(' ')[1])];
    assert.ok(
      topicsSeen.every((t) => t !== undefined && topics.includes(t)),
      example.lines.join('\n'),
    );
    assert.equal(new Set(keys).size, keys.length, 'one line per event, each with its own relay.key');
    example.child.kill('SIGINT');
    // The example's only shutdown is client.close(); a timer or socket left behind would keep it running.
    const code = await Promise.race([example.exited, delay(30_000).then(() => 'still running' as const)]);
    assert.equal(code, 0, `the example after close(): ${String(code)}\n${example.stderr()}`);
  } finally {
    example.child.kill('SIGKILL');
  }
}

/** `node readme-example.mjs` in the project, pointed at the emulator through the environment the example reads. */
function spawnExample(project: string, emulator: Emulator, env: NodeJS.ProcessEnv) {
  writeFileSync(join(project, 'readme-example.mjs'), readmeLibraryExample());
  const child = spawn(process.execPath, ['readme-example.mjs'], {
    cwd: project,
    env: {
      ...env,
      GENESYS_API_BASE: emulator.apiBase,
      GENESYS_LOGIN_BASE: emulator.loginBase,
      GENESYS_CLIENT_ID: 'demo',
      GENESYS_CLIENT_SECRET: 'demo',
      GENESYS_USER_ID: 'u-1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  return { child, exited, lines, stderr: () => stderr };
}

async function until(probe: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(25);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
