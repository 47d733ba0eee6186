import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';
import { openExistingOutbox } from '../../../src/outbox/state-dir.ts';
import { PRESENCE_A, sample, waitFor } from '../cli/helpers.ts';
import { ROOT, execForm, parseDockerfile, repoFile } from './deploy-files.ts';

// The relay started exactly as the image starts it: the Dockerfile's ENTRYPOINT + CMD + ENV, with node as the
// direct child (pid 1 in the container), the compiled dist/ next to package.json and node_modules as in /app.
const instructions = parseDockerfile(repoFile('Dockerfile'));
const runtime = Math.max(...instructions.map((i) => i.stage));
const last = (op: string): string => instructions.filter((i) => i.op === op && i.stage === runtime).at(-1)?.args ?? '';
const EVENTS = 12;
const HOLD_MS = 150; // the webhook answers each request this late, so deliveries are in flight at SIGTERM

let work: string;
let app: string;
before(
  () => {
    work = mkdtempSync(join(tmpdir(), 'genesys-relay-container-'));
    app = join(work, 'app');
    mkdirSync(app);
    copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    // The build stage's `npm run build`, into this /app (type-checking is tsc's job elsewhere; this only emits).
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(app, 'dist'), '--noCheck'];
    const built = spawnSync(process.execPath, [tsc, ...args, '--declaration', 'false'], {
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stdout + built.stderr);
  },
  { timeout: 300_000 },
); // tsc on a loaded 2-core machine
after(() => rmSync(work, { recursive: true, force: true }));

/** A webhook that records each event's Idempotency-Key (relay.key) and answers 200 after HOLD_MS. */
async function slowWebhook(): Promise<{ server: Server; url: string; received: string[]; answered: () => number }> {
  const received: string[] = [];
  let answered = 0;
  const server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      received.push(String(req.headers['idempotency-key']));
      setTimeout(() => {
        answered++;
        res.writeHead(200).end();
      }, HOLD_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/events`, received, answered: () => answered };
}

/** Keys of the events the outbox still owes `sink` (read after the relay exited; the claim is thrown away with the dir). */
function stillOwed(stateDir: string, sink: string): string[] {
  const outbox = openExistingOutbox(stateDir);
  try {
    return outbox.claim(sink, 1_000).events.map((e) => e.event.relay.key);
  } finally {
    outbox.close();
  }
}

function externalIPv4(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
}

describe('the container entrypoint', () => {
  it('runs node itself, listens on 0.0.0.0, passes its HEALTHCHECK, and drains on SIGTERM: exit 0, every event delivered or kept', async (t) => {
    const emulator: EmulatorHandle = await startEmulator({ heartbeatMs: 1_000 });
    const webhook = await slowWebhook();
    const stateDir = join(work, 'state');
    const configFile = join(work, 'relay.yaml');
    const secretFile = join(work, 'genesys-client-secret');
    writeFileSync(secretFile, 'demo\n');
    writeFileSync(configFile, `topics: ['${PRESENCE_A}']\nsinks:\n  - type: webhook\n    url: ${webhook.url}\n`);

    // Container paths → this test's: /app, the mounted config and secret, the volume; port 0 instead of 9464.
    const workdir = last('WORKDIR');
    const entrypoint = (execForm(last('ENTRYPOINT')) ?? []).map((a) => a.replace(workdir, app));
    const cmd = execForm(last('CMD')) ?? [];
    const port = cmd[cmd.indexOf('--metrics-port') + 1] ?? '';
    const argv = cmd.map((a) =>
      a === '/etc/genesys-relay/relay.yaml'
        ? configFile
        : a === '/var/lib/genesys-relay'
          ? stateDir
          : a === port
            ? '0'
            : a,
    );
    const imageEnv: Record<string, string> = {};
    for (const [, name = '', value = ''] of last('ENV').matchAll(/([A-Z_]+)=(\S+)/g)) imageEnv[name] = value;
    assert.equal(entrypoint[0], 'node');
    const child = spawn(process.execPath, [...entrypoint.slice(1), ...argv], {
      env: {
        PATH: process.env.PATH,
        ...imageEnv,
        GENESYS_CLIENT_SECRET_FILE: secretFile,
        GENESYS_CLIENT_ID: 'demo',
        GENESYS_API_BASE: emulator.apiBase,
        GENESYS_LOGIN_BASE: emulator.loginBase,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const stderr: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      // The child is node running the compiled bin, not a shell or npx.
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      assert.equal(cmdline[0], process.execPath);
      assert.equal(cmdline[1], join(app, 'dist', 'cli', 'main-entry.js'));

      const listening = await waitFor(() => stderr.find((l) => l.includes('"msg":"metrics listening"')), 'metrics');
      const { url, port: actual } = JSON.parse(listening) as { url: string; port: number };
      assert.equal(url, `http://0.0.0.0:${actual}`, 'bound to every interface (GENESYS_RELAY_METRICS_HOST)');
      await waitFor(() => stderr.find((l) => l.includes('"state":"open"')), 'an open socket');

      const health = execForm(last('HEALTHCHECK').slice(last('HEALTHCHECK').indexOf('CMD ') + 4)) ?? [];
      const probe = spawnSync(
        process.execPath,
        health.slice(1).map((a) => a.replace(`:${port}/`, `:${actual}/`)),
      );
      assert.equal(probe.status, 0, `HEALTHCHECK failed: ${String(probe.stderr)}`);
      const outside = externalIPv4();
      if (outside) {
        const res = await fetch(`http://${outside}:${actual}/livez`);
        assert.equal(res.status, 200, 'reachable from outside the loopback, as a probe from the kubelet');
      } else {
        t.diagnostic('no non-loopback IPv4 interface: 0.0.0.0 checked through the logged address only');
      }

      emulator.publish(PRESENCE_A, undefined, EVENTS);
      const metricsUrl = `http://127.0.0.1:${actual}/metrics`;
      await waitFor(async () => {
        const received = sample(await (await fetch(metricsUrl)).text(), 'genesys_relay_events_received_total');
        return received === EVENTS ? received : undefined;
      }, `${EVENTS} events committed`);
      const answeredAtSigterm = webhook.answered();
      child.kill('SIGTERM');
      const { code, signal } = await exited;
      assert.equal(signal, null);
      assert.equal(code, 0, stderr.slice(-20).join('\n'));
      t.diagnostic(`answered at SIGTERM: ${answeredAtSigterm} of ${EVENTS}; the rest drained before exit 0`);
      assert.ok(answeredAtSigterm < EVENTS, `deliveries were in flight at SIGTERM (${answeredAtSigterm} answered)`);
      assert.equal(webhook.answered(), webhook.received.length, 'every request in flight answered before the exit');
      // SIGTERM lets the batch in flight finish and claims no more: events committed in a later group than the first
      // batch stay in the outbox for the next start (how many depends on how the 12 fell into commits). Nothing is lost:
      // every event was delivered once or is still owed to the webhook, durably.
      const delivered = new Set(webhook.received);
      assert.equal(delivered.size, webhook.received.length, 'none delivered twice');
      const owed = stillOwed(stateDir, 'webhook');
      t.diagnostic(`delivered before exit: ${delivered.size}; still in the outbox: ${owed.length}`);
      assert.ok(delivered.size >= 1, 'the batch in flight at SIGTERM was delivered');
      assert.deepEqual(
        [...delivered, ...owed].sort(),
        [...new Set([...delivered, ...owed])].sort(),
        'no event both delivered and owed',
      );
      assert.equal(delivered.size + owed.length, EVENTS, 'every event delivered or kept in the outbox');
      assert.equal(existsSync(join(stateDir, 'relay.lock')), false, 'the state dir lock released');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      await emulator.close();
      await new Promise<void>((resolve) => webhook.server.close(() => resolve()));
    }
  });
});
