import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';
import { createRelay, type Relay } from '../../../src/service/relay.ts';
import { emulatorRelayConfig, memoryLogger } from '../service/relay-harness.ts';

export const TOPIC = 'v2.users.55555555-5555-5555-5555-555555555555.presence';

/** A relay against the emulator, its ndjson sink on an in-memory stdout, /metrics on port 0. */
export interface RelayUnderTest {
  emulator: EmulatorHandle;
  relay: Relay;
  base: string;
  lines: string[];
  logLines: string[];
  stop(): Promise<void>;
}

/** `extra`: more config sections (e.g. `resync`), merged over the defaults. */
export async function startRelay(stateDir: string, extra: Record<string, unknown> = {}): Promise<RelayUnderTest> {
  const emulator = await startEmulator({ heartbeatMs: 200 });
  const file = {
    topics: [TOPIC],
    stateDir,
    session: { heartbeatMs: 200 },
    metrics: { port: 0 },
    outbox: { pollIntervalMs: 100 },
    sinks: [{ type: 'ndjson', path: '-' }],
    ...extra,
  };
  const config = emulatorRelayConfig(emulator, file);
  const stdout = new PassThrough();
  const lines: string[] = [];
  let rest = '';
  stdout.setEncoding('utf8');
  stdout.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  const { logger, lines: logLines } = memoryLogger([]);
  const relay = createRelay(config, { logger, stdout });
  await relay.start();
  const base = relay.status().metricsUrl;
  if (base === undefined) throw new Error('metrics server not listening');
  return {
    emulator,
    relay,
    base,
    lines,
    logLines,
    stop: async () => {
      await relay.close({ drainTimeoutMs: 2_000 });
      await emulator.close();
    },
  };
}

/** Keys of the ndjson lines, in order. */
export function keysOf(lines: readonly string[]): string[] {
  return lines.map((l) => (JSON.parse(l) as { relay: { key: string } }).relay.key);
}

export async function readyz(base: string): Promise<{ status: number; reason: string }> {
  const res = await fetch(`${base}/readyz`);
  const body = (await res.json()) as { reason: string };
  return { status: res.status, reason: body.reason };
}

export async function metric(base: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** Polls an async probe every 25 ms until it returns a value. */
export async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * A real small filesystem: a tmpfs of `sizeMb` mounted at `dir` (needs root). Returns undefined, with the reason,
 * when mounting is impossible here, so the caller can skip saying why.
 */
export function mountTmpfs(dir: string, sizeMb: number): { unmount(): void } | string {
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return `mount -t tmpfs failed: ${(err as Error).message.split('\n')[0] ?? ''}`;
  }
  return {
    unmount: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Publishes `count` events (distinct CorrelationIds) on TOPIC. */
export function publish(emulator: EmulatorHandle, count: number, tag: string): void {
  for (let i = 0; i < count; i++) emulator.publish(TOPIC, { tag, i, pad: 'p'.repeat(200) }, 1, `${tag}-${i}`);
}

export { join };
