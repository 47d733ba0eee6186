import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  PRESENCE_A,
  emulatorWithEnv,
  metricsBase,
  readNdjson,
  runCli,
  sample,
  spawnCli,
  tempDir,
  waitFor,
} from './helpers.ts';

describe('genesys-relay run (end to end through the CLI)', () => {
  it('delivers events to the ndjson file, reports truthful metrics/readiness, drains on SIGTERM and exits 0', async () => {
    const { emulator, env } = await emulatorWithEnv();
    const { dir, cleanup } = tempDir();
    const out = join(dir, 'out.ndjson');
    const stateDir = join(dir, 'state');
    const cli = spawnCli(
      ['run', '--topic', PRESENCE_A, '--sink', `ndjson:${out}`, '--state-dir', stateDir, '--metrics-port', '0'],
      env,
    );
    try {
      const base = await metricsBase(cli);
      assert.equal((await fetch(`${base}/livez`)).status, 200);
      await waitFor(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 'readyz 200');

      emulator.publish(PRESENCE_A, undefined, 5);
      const lines = await waitFor(() => {
        const parsed = readNdjson(out);
        return parsed.length >= 5 ? parsed : undefined;
      }, '5 lines in the ndjson file');
      assert.equal(lines.length, 5);
      for (const line of lines) {
        assert.equal(line.topicName, PRESENCE_A);
        assert.ok('version' in line && 'eventBody' in line && 'metadata' in line, JSON.stringify(line));
        const relay = line.relay as Record<string, unknown>;
        assert.equal(typeof relay.receivedAt, 'string');
        assert.match(String(relay.channelId), /\S/);
        assert.match(String(relay.key), /^[0-9a-f]{32}$/);
      }
      assert.equal(new Set(lines.map((l) => (l.relay as { key: string }).key)).size, 5);

      // The file is written before the dispatcher acknowledges the batch: wait for its books to catch up.
      const metrics = await waitFor(async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        return sample(text, 'genesys_relay_events_delivered_total{sink="ndjson"}') === 5 ? text : undefined;
      }, 'delivered_total to reach 5');
      assert.equal(sample(metrics, 'genesys_relay_events_received_total'), 5);
      assert.equal(sample(metrics, 'genesys_relay_events_delivered_total{sink="ndjson"}'), 5);
      assert.equal(sample(metrics, 'genesys_relay_outbox_depth{sink="ndjson"}'), 0);
      assert.equal(sample(metrics, 'genesys_relay_sockets_open'), 1);
      assert.equal(sample(metrics, 'genesys_relay_token_refreshes_total'), 1);

      // Take the server away: the socket drops and cannot come back, so the relay must stop claiming readiness.
      await emulator.close();
      const reason = await waitFor(async () => {
        const res = await fetch(`${base}/readyz`);
        return res.status === 503 ? ((await res.json()) as { reason: string }).reason : undefined;
      }, 'readyz 503 after the emulator went away');
      assert.match(reason, /socket/);

      cli.kill('SIGTERM');
      const { code } = await cli.exited;
      assert.equal(code, 0, cli.stderr.join('\n'));
      assert.ok(cli.stderr.some((l) => l.includes('"msg":"shutdown complete"')));

      const status = await runCli(['status', '--state-dir', stateDir, '--json']);
      assert.equal(status.code, 0, status.stderr);
      const sink = (JSON.parse(status.stdout) as { outbox: { sinks: Array<Record<string, number | string>> } }).outbox
        .sinks[0];
      assert.equal(sink?.sink, 'ndjson');
      assert.equal(sink?.delivered, 5);
      assert.equal(sink?.pending, 0);
    } finally {
      cli.kill();
      await emulator.close();
      cleanup();
    }
  });

  it('with ndjson:- writes only events to stdout and keeps logs on stderr', async () => {
    const { emulator, env } = await emulatorWithEnv();
    const { dir, cleanup } = tempDir();
    const cli = spawnCli(['run', '--topic', PRESENCE_A, '--sink', 'ndjson:-', '--state-dir', join(dir, 'state')], env);
    try {
      await cli.waitForStderr(/"state":"open"/);
      emulator.publish(PRESENCE_A, undefined, 3);
      await waitFor(() => (cli.stdout.length >= 3 ? true : undefined), '3 events on stdout');
      cli.kill('SIGTERM');
      assert.equal((await cli.exited).code, 0);
      assert.equal(cli.stdout.length, 3, cli.stdout.join('\n'));
      for (const line of cli.stdout) assert.equal((JSON.parse(line) as { topicName: string }).topicName, PRESENCE_A);
      assert.ok(cli.stderr.some((l) => l.includes('"msg":"relay.start"')));
    } finally {
      cli.kill();
      await emulator.close();
      cleanup();
    }
  });

  it('exits non-zero on bad credentials, says what to check, and never prints the secret', async () => {
    const { emulator, env } = await emulatorWithEnv();
    const { dir, cleanup } = tempDir();
    const secret = 'not-the-secret-7f3a91';
    try {
      const result = await runCli(['run', '--topic', PRESENCE_A, '--state-dir', join(dir, 'state')], {
        ...env,
        GENESYS_CLIENT_SECRET: secret,
      });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /genesys-relay: authentication failed/);
      assert.match(result.stderr, /GENESYS_CLIENT_SECRET/);
      assert.match(result.stderr, /client id "demo"/);
      assert.ok(!`${result.stdout}\n${result.stderr}`.includes(secret), 'the secret leaked into the output');
    } finally {
      await emulator.close();
      cleanup();
    }
  });

  it('stops with exit 1 and says why when its credentials are revoked while running', async () => {
    const { emulator, env } = await emulatorWithEnv();
    const { dir, cleanup } = tempDir();
    const cli = spawnCli(['run', '--topic', PRESENCE_A, '--state-dir', join(dir, 'state')], env);
    try {
      await cli.waitForStderr(/"state":"open"/);
      // Rotate the client's secret on the server, then revoke its tokens: the relay can no longer authenticate.
      const rotated = await fetch(`${emulator.controlBase}/control/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'demo', secret: 'rotated-secret' }),
      });
      assert.equal(rotated.status < 300, true);
      emulator.fault({ kind: 'revoke-token', clientId: 'demo' });
      const { code } = await cli.exited;
      assert.equal(code, 1, cli.stderr.join('\n'));
      assert.ok(
        cli.stderr.some((l) => /^genesys-relay: authentication failed: .*GENESYS_CLIENT_SECRET/.test(l)),
        cli.stderr.join('\n'),
      );
    } finally {
      cli.kill();
      await emulator.close();
      cleanup();
    }
  });

  it('exits 2 on a malformed config, naming the field and not the secret', async () => {
    const { dir, cleanup } = tempDir();
    const secret = 'cfg-secret-9b2c44';
    const config = join(dir, 'relay.yaml');
    writeFileSync(
      config,
      [
        'genesys: { clientId: demo, clientSecret: ' + secret + ' }',
        'topics: [v2.users.11111111-1111-1111-1111-111111111111.presence]',
        'sinks:',
        '  - { type: ndjson, path: out.ndjson }',
        '  - { type: webhook, url: "ftp://example.org/in", secret: ' + secret + ' }',
      ].join('\n'),
    );
    try {
      const result = await runCli(['run', '--config', config, '--state-dir', join(dir, 'state')]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /sinks\[1\]\.url: must be an http\(s\) URL/);
      assert.ok(!`${result.stdout}\n${result.stderr}`.includes(secret));

      const missing = await runCli(['run', '--topic', 'v2.users.x.presence'], {
        GENESYS_CLIENT_ID: 'a',
        GENESYS_CLIENT_SECRET: '',
      });
      assert.equal(missing.code, 2);
      assert.match(
        missing.stderr,
        /genesys\.clientSecret: missing — set GENESYS_CLIENT_SECRET or genesys\.clientSecretFile/,
      );
    } finally {
      cleanup();
    }
  });
});
