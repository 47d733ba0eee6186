import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { startEmulator } from '../../../src/emulator/index.ts';
import { createLogger } from '../../../src/logging/logger.ts';
import type { FailingShard } from '../../../src/metrics/readiness.ts';
import { createRelay } from '../../../src/service/relay.ts';
import { emulatorRelayConfig } from './relay-harness.ts';

const TOPIC = 'v2.users.44444444-4444-4444-4444-444444444444.presence';
const HEARTBEAT_MS = 200;
const LIVENESS_WINDOW_MS = 800;
// Far longer than the window: /readyz must notice the silence long before the watchdog replaces the socket.
const WATCHDOG_MS = 4_000;

interface ReadyzBody {
  ready: boolean;
  reason: string;
  failing?: FailingShard[];
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function readyz(base: string): Promise<{ status: number; body: ReadyzBody }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as ReadyzBody };
}

describe('/readyz follows the last frame of each shard', () => {
  it('turns 503 on a zombie socket before the watchdog replaces it, and 200 again after recovery', async () => {
    const emulator = await startEmulator({ heartbeatMs: HEARTBEAT_MS });
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-readiness-'));
    const file = {
      topics: [TOPIC],
      stateDir: join(dir, 'state'),
      // Pings far apart, so only the frame watchdog can notice the zombie.
      session: { heartbeatMs: HEARTBEAT_MS, watchdogMs: WATCHDOG_MS, pingIntervalMs: 60_000 },
      metrics: { port: 0, livenessWindowMs: LIVENESS_WINDOW_MS },
      sinks: [{ type: 'ndjson', path: '-' }],
    };
    const config = emulatorRelayConfig(emulator, file);
    const relay = createRelay(config, {
      logger: createLogger({ level: 'silent', destination: { write: () => undefined } }),
      stdout: new PassThrough(),
    });
    try {
      await relay.start();
      const base = relay.status().metricsUrl;
      assert.ok(base, 'metrics server listening');
      await until(async () => ((await readyz(base)).status === 200 ? true : undefined), 'readyz 200 at start');
      const shard = relay.status().shards[0];
      assert.ok(shard?.lastFrameAt !== undefined, 'the open shard reports its last frame');
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /^genesys_relay_last_frame_age_seconds\{shard="shard-0"\} \d/m);

      const zombieAt = Date.now();
      emulator.fault({ kind: 'zombie' });
      const down = await until(async () => {
        const r = await readyz(base);
        return r.status === 503 ? r : undefined;
      }, 'readyz 503 after the zombie');
      // Same socket, not yet replaced: the truth came from the last frame, not from the watchdog.
      assert.ok(Date.now() - zombieAt < WATCHDOG_MS, 'noticed within the watchdog period');
      assert.equal(relay.status().client.reconnects, 0);
      assert.equal(relay.status().shards[0]?.state, 'open');
      assert.equal(down.body.ready, false);
      const failing = down.body.failing?.[0];
      assert.equal(failing?.shardId, 'shard-0');
      assert.ok((failing?.lastFrameAgeMs ?? 0) > LIVENESS_WINDOW_MS, JSON.stringify(down.body));
      assert.match(down.body.reason, /shard-0 silent for \d+ ms/);

      // The watchdog replaces the silent socket; the new one gets heartbeats, so the relay is ready again.
      await until(async () => ((await readyz(base)).status === 200 ? true : undefined), 'readyz 200 after recovery');
      assert.ok(relay.status().client.reconnects >= 1, 'recovered through a reconnect');
    } finally {
      await relay.close({ drainTimeoutMs: 1_000 });
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
