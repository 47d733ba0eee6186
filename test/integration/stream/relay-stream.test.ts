import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';
import { createLogger } from '../../../src/logging/logger.ts';
import { createRelay, type Relay } from '../../../src/service/relay.ts';
import { SseReader } from './sse-reader.ts';
import { emulatorRelayConfig } from '../service/relay-harness.ts';

const USER = 'v2.users.55555555-5555-4555-8555-555555555555.presence';
const QUEUE = 'v2.routing.queues.66666666-6666-4666-8666-666666666666.conversations';

function relayOn(emulator: EmulatorHandle, dir: string, stream: Record<string, unknown>, token?: string): Relay {
  const file = {
    topics: [USER, QUEUE],
    stateDir: join(dir, 'state'),
    session: { heartbeatMs: 500 },
    stream,
    sinks: [{ type: 'ndjson', path: '-' }],
  };
  const config = emulatorRelayConfig(emulator, file);
  return createRelay(config, {
    logger: createLogger({ level: 'silent', destination: { write: () => undefined } }),
    stdout: new PassThrough(),
    // An explicit empty token stands for "GENESYS_RELAY_STREAM_TOKEN unset", whatever this process's env holds.
    streamToken: token ?? '',
  });
}

describe('relay with stream.port', () => {
  it('streams what it commits from the emulator, filtered by topic; a restarted relay resumes the browser', async () => {
    const emulator = await startEmulator({ heartbeatMs: 500 });
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-stream-relay-'));
    writeFileSync(join(dir, 'token'), 'file-token\n');
    try {
      const relay = relayOn(emulator, dir, { port: 0, tokenFile: join(dir, 'token') });
      await relay.start();
      const url = `${relay.streamUrl() ?? ''}?topic=v2.users.`;
      const auth = { Authorization: 'Bearer file-token' };
      const browser = await SseReader.open(url, auth);
      emulator.publish(QUEUE, { id: 'q' }, 3);
      emulator.publish(USER, { id: 'u', presenceDefinition: { systemPresence: 'Available' } }, 5);
      await browser.waitFor((r) => r.seqs().length === 5, 'five presence events');
      assert.ok(browser.events.every((e) => (JSON.parse(e.data) as { topicName: string }).topicName === USER));
      const lastSeen = browser.lastEventId ?? '';
      browser.close();
      await relay.close();

      // Same outbox, so sequences go on: the Last-Event-ID the browser had from the first relay resumes on the next.
      const next = relayOn(emulator, dir, { port: 0, tokenFile: join(dir, 'token') });
      await next.start();
      emulator.publish(USER, { id: 'u', presenceDefinition: { systemPresence: 'Away' } }, 2);
      const resumed = await SseReader.open(`${next.streamUrl() ?? ''}?topic=v2.users.`, {
        ...auth,
        'Last-Event-ID': lastSeen,
      });
      await resumed.waitFor((r) => r.seqs().length === 2, 'the two presence events after the restart');
      assert.ok(resumed.seqs().every((seq) => seq > Number(lastSeen)));
      resumed.close();
      await next.close();
    } finally {
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start a stream without a token (ConfigError), and starts none without stream.port', async () => {
    const emulator = await startEmulator({ heartbeatMs: 500 });
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-stream-relay-'));
    try {
      const noToken = relayOn(emulator, dir, { port: 0 });
      await assert.rejects(noToken.start(), (err) => err instanceof ConfigError && /stream/.test(err.message));
      const noStream = relayOn(emulator, dir, {}, 'unused');
      await noStream.start();
      assert.equal(noStream.streamUrl(), undefined);
      await noStream.close();
    } finally {
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
