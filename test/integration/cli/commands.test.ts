import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { PRESENCE_A, emulatorWithEnv, readNdjson, runCli, tempDir } from './helpers.ts';

const QUEUE_TOPIC = 'v2.routing.queues.22222222-2222-2222-2222-222222222222.conversations';

describe('doctor', () => {
  it('passes against a healthy org, and reports rejected topics with what to fix', async () => {
    const { emulator, env } = await emulatorWithEnv({
      clients: [
        { id: 'demo', secret: 'demo' },
        { id: 'limited', secret: 'limited-secret-4411', deniedTopics: ['^v2\\.routing\\.'] },
      ],
    });
    const { dir, cleanup } = tempDir();
    try {
      const ok = await runCli(['doctor', '--topic', PRESENCE_A, '--state-dir', join(dir, 'a')], env);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /✓ token/);
      assert.match(ok.stdout, /✓ subscriptions: all 1 topics accepted/);
      assert.match(ok.stdout, /All checks passed/);

      const limited = await runCli(
        ['doctor', '--topic', PRESENCE_A, '--topic', QUEUE_TOPIC, '--state-dir', join(dir, 'b')],
        { ...env, GENESYS_CLIENT_ID: 'limited', GENESYS_CLIENT_SECRET: 'limited-secret-4411' },
      );
      assert.equal(limited.code, 1, limited.stdout);
      assert.match(limited.stdout, /✗ subscriptions: 1 of 2 topics rejected/);
      assert.ok(limited.stdout.includes(QUEUE_TOPIC));
      assert.match(limited.stdout, /fix: grant/);
      assert.ok(!limited.stdout.includes('limited-secret-4411'));
      // The doctor cleans up after itself.
      assert.ok(emulator.state().channels.every((c) => c.topics.length === 0));

      const badSecret = await runCli(['doctor', '--state-dir', join(dir, 'c')], {
        ...env,
        GENESYS_CLIENT_SECRET: 'wrong-9931',
      });
      assert.equal(badSecret.code, 1);
      assert.match(badSecret.stdout, /✗ token: .*GENESYS_CLIENT_SECRET/);
      assert.ok(!badSecret.stdout.includes('wrong-9931') && !badSecret.stderr.includes('wrong-9931'));
    } finally {
      await emulator.close();
      cleanup();
    }
  });
});

describe('topics', () => {
  it('validates locally: expansion, plan, and exit 1 on a bad name', async () => {
    const good = await runCli([
      'topics',
      'validate',
      `v2.users.11111111-1111-1111-1111-111111111111?presence&routingStatus`,
    ]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(
      good.stdout,
      /→ v2\.users\.11111111-1111-1111-1111-111111111111\.presence, v2\.users\..*\.routingStatus/,
    );
    assert.match(good.stdout, /plan: 1 channel\(s\)/);
    const bad = await runCli(['topics', 'validate', PRESENCE_A, 'users.presence']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /✗ users\.presence/);
  });

  it('lists the available topics of the org', async () => {
    const { emulator, env } = await emulatorWithEnv();
    try {
      const list = await runCli(['topics', 'list', '--filter', 'users'], env);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^v2\.users\.\{id\}\.presence/m);
    } finally {
      await emulator.close();
    }
  });
});

describe('demo', () => {
  it('runs emulator + relay in one process, prints plain lines under CI, and stops by itself', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const demo = await runCli(
        ['demo', '--duration-s', '4', '--events-per-second', '20', '--fault-every-s', '0', '--state-dir', dir],
        {},
        60_000,
      );
      assert.equal(demo.code, 0, demo.stderr);
      const ticks = demo.stdout.split('\n').filter((l) => l.startsWith('t='));
      assert.ok(ticks.length >= 3, demo.stdout);
      assert.match(demo.stdout, /stopped; events in/);
      const last = ticks.at(-1) ?? '';
      const committed = Number(/committed=(\d+)/.exec(last)?.[1]);
      assert.ok(committed > 0, last);
      // Every committed event reached the file sink before the demo exited (drain on stop).
      assert.equal(readNdjson(join(dir, 'events.ndjson')).length, committed);

      const status = await runCli(['status', '--state-dir', join(dir, 'state')]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /^ndjson\s+yes\s+0\s+0\s+\d+\s+0/m);
    } finally {
      cleanup();
    }
  });
});

describe('status', () => {
  it('shows depth, dead letters and oldest pending per sink, and fails on a missing state dir', async () => {
    const { dir, cleanup } = tempDir();
    const outbox = new SqliteOutbox({ path: join(dir, 'outbox.sqlite'), pruneIntervalMs: 0 });
    try {
      outbox.setActiveSinks(['webhook']);
      for (const n of [1, 2, 3]) {
        outbox.appendSync({
          topicName: PRESENCE_A,
          version: '2',
          eventBody: { n },
          metadata: {},
          relay: { receivedAt: new Date().toISOString(), channelId: 'ch', key: `key-${n}` },
        });
      }
      const [first] = outbox.claim('webhook', 1).events;
      assert.ok(first);
      outbox.settle('webhook', [{ seq: first.seq, action: 'deadLetter', reason: 'permanent: 400 bad request' }]);
      outbox.close();

      const status = await runCli(['status', '--state-dir', dir]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /^webhook\s+yes\s+2\s+0\s+0\s+1\s+\d/m);
      assert.match(status.stdout, /dead letters of webhook/);
      assert.match(status.stdout, /key-1 .*permanent: 400 bad request/);

      const missing = await runCli(['status', '--state-dir', join(dir, 'nope')]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /--state-dir: .*does not exist/);
    } finally {
      outbox.close();
      cleanup();
    }
  });
});
