import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../sinks/webhook-receiver.ts';
import {
  PRESENCE_A,
  emulatorWithEnv,
  runCli,
  metricsBase,
  sample,
  spawnCli,
  tempDir,
  waitFor,
  type CliProcess,
} from './helpers.ts';

/** A config with one webhook sink and fast, patient retries (no dead letters within a test). */
function writeConfig(dir: string, webhookUrl: string): string {
  const path = join(dir, 'relay.yaml');
  writeFileSync(
    path,
    [
      `topics: [${PRESENCE_A}]`,
      'outbox: { retryBaseMs: 50ms, retryMaxMs: 400ms, maxAttempts: 10000, pollIntervalMs: 200ms }',
      `sinks: [{ type: webhook, url: "${webhookUrl}" }]`,
    ].join('\n'),
  );
  return path;
}

function keyOf(req: ReceivedRequest): string {
  return (JSON.parse(req.body) as { relay: { key: string } }).relay.key;
}

/** Keys of the requests the receiver answered with 2xx. */
function acceptedKeys(receiver: WebhookReceiver, accepted: ReadonlySet<ReceivedRequest>): Set<string> {
  return new Set(receiver.received.filter((r) => accepted.has(r)).map(keyOf));
}

async function receivedTotal(cli: CliProcess, expected: number): Promise<void> {
  const base = await metricsBase(cli);
  await waitFor(async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return sample(text, 'genesys_relay_events_received_total') === expected ? true : undefined;
  }, `${expected} events committed to the outbox`);
}

describe('durability through the CLI', () => {
  it('loses nothing while a webhook answers 503 for a while and then 200', async () => {
    const { emulator, env } = await emulatorWithEnv();
    const receiver = await startWebhookReceiver();
    const { dir, cleanup } = tempDir();
    const accepted = new Set<ReceivedRequest>();
    let up = false;
    receiver.respondWith((req) => {
      if (!up) return { status: 503, headers: { 'retry-after': '0' } };
      accepted.add(req);
      return { status: 200 };
    });
    const cli = spawnCli(
      ['run', '--config', writeConfig(dir, receiver.url), '--state-dir', join(dir, 'state'), '--metrics-port', '0'],
      env,
    );
    try {
      await cli.waitForStderr(/"state":"open"/);
      emulator.publish(PRESENCE_A, undefined, 10);
      await receivedTotal(cli, 10);
      await waitFor(() => (receiver.received.length >= 5 ? true : undefined), 'several refused attempts');
      up = true;
      const keys = await waitFor(() => {
        const got = acceptedKeys(receiver, accepted);
        return got.size >= 10 ? got : undefined;
      }, 'all 10 events accepted after the sink recovered');
      assert.equal(keys.size, 10);
      const allKeys = new Set(receiver.received.map(keyOf));
      assert.equal(allKeys.size, 10, 'no event may appear under a different key');
      cli.kill('SIGTERM');
      assert.equal((await cli.exited).code, 0);
    } finally {
      cli.kill();
      await receiver.close();
      await emulator.close();
      cleanup();
    }
  });

  it('after kill -9, a restart on the same state dir delivers every event received before the kill', async () => {
    const { emulator, env } = await emulatorWithEnv();
    const receiver = await startWebhookReceiver();
    const { dir, cleanup } = tempDir();
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, receiver.url);
    const accepted = new Set<ReceivedRequest>();
    let up = false;
    receiver.respondWith((req) => {
      if (!up) return { status: 503 };
      accepted.add(req);
      return { status: 200 };
    });
    const first = spawnCli(['run', '--config', config, '--state-dir', stateDir, '--metrics-port', '0'], env);
    let second: CliProcess | undefined;
    try {
      await first.waitForStderr(/"state":"open"/);
      emulator.publish(PRESENCE_A, undefined, 8);
      await receivedTotal(first, 8);
      first.kill('SIGKILL');
      assert.equal((await first.exited).signal, 'SIGKILL');
      const beforeKill = new Set(receiver.received.map(keyOf));

      up = true;
      second = spawnCli(['run', '--config', config, '--state-dir', stateDir], env);
      const delivered = await waitFor(() => {
        const got = acceptedKeys(receiver, accepted);
        return got.size >= 8 ? got : undefined;
      }, 'all 8 events delivered by the restarted relay');
      assert.equal(delivered.size, 8);
      // Every key seen before the kill was delivered, and redeliveries reuse the same relay.key.
      for (const key of beforeKill) assert.ok(delivered.has(key), `event ${key} was lost`);
      assert.equal(new Set(receiver.received.map(keyOf)).size, 8);
      second.kill('SIGTERM');
      assert.equal((await second.exited).code, 0);
    } finally {
      first.kill();
      second?.kill();
      await receiver.close();
      await emulator.close();
      cleanup();
    }
  });

  it('a corrupt outbox at start: exit 1 naming the file and what to do, and the file is left as it was', async () => {
    const { emulator, env } = await emulatorWithEnv();
    const { dir, cleanup } = tempDir();
    try {
      const stateDir = join(dir, 'state');
      mkdirSync(stateDir);
      const outbox = join(stateDir, 'outbox.sqlite');
      const garbage = 'this is not a SQLite database, just bytes a bad disk left behind\n'.repeat(200);
      writeFileSync(outbox, garbage);
      const { code, stderr } = await runCli(
        ['run', '--topic', PRESENCE_A, '--sink', 'ndjson:-', '--state-dir', stateDir],
        env,
      );
      assert.equal(code, 1, stderr);
      assert.ok(stderr.includes(outbox), `names the file: ${stderr}`);
      assert.match(stderr, /file is not a database/);
      assert.equal(readFileSync(outbox, 'utf8'), garbage, 'the damaged file is not touched');
      assert.match(stderr, /move the file \(and any -wal\/-shm beside it\) aside or restore it from a backup/);
    } finally {
      await emulator.close();
      cleanup();
    }
  });
});
