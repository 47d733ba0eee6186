import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';
import { RefreshingTokenProvider } from '../src/auth/refreshing-token-provider.ts';
import { NotificationClient } from '../src/client/index.ts';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.ts';
import { GenesysRestClient } from '../src/genesys/rest-client.ts';
import { BENCH_BODY, BENCH_TOPIC, percentile, round1 } from './lib/figures.ts';

/**
 * NotificationClient vs a raw `ws` consumer, on one emulator in one run.
 * - Throughput: one channel, one topic, EVENTS published in batches (one batch per macrotask). Each consumer runs
 *   alone in a worker thread (the emulator keeps the main thread; 2 cores: one each) and reports when it has
 *   received every event. The raw consumer JSON-parses each frame and counts it (the least any real consumer
 *   does); the client parses, classifies, de-duplicates (sha256 key) and wraps each event, and calls onEvent.
 *   Each is measured ROUNDS times, alternating; reported: the medians, and the median of per-pair ratios.
 * - Recovery: DROPS `drop` faults (TCP destroyed, no close frame) on a running client; time from the fault to
 *   the socket being open again on the same channel (the gap's end). stableAfterMs is lowered so back-to-back
 *   drops in the bench are treated like the isolated drops they stand for, not as a flapping connection.
 */

const EVENTS = 50_000;
const BATCH = 2_000;
const ROUNDS = 5;
const DROPS = 20;
const TOPIC = BENCH_TOPIC;
const BODY = BENCH_BODY;

type Role = 'raw' | 'client';
interface WorkerInput {
  role: Role;
  apiBase: string;
  loginBase: string;
  events: number;
}

export async function run(): Promise<Record<string, number>> {
  const emu = await startEmulator({ heartbeatMs: 60_000 });
  try {
    const raw: number[] = [];
    const client: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await throughput(emu, 'raw'));
      client.push(await throughput(emu, 'client'));
    }
    const recovery = await recoveryTimes(emu);
    // Back-to-back pairs see the same machine load, so the median of per-pair ratios is the robust comparison.
    const ratios = client.map((c, i) => c / (raw[i] ?? Number.NaN));
    return {
      'client.events_per_s': Math.round(percentile(client, 0.5)),
      'raw_ws.events_per_s': Math.round(percentile(raw, 0.5)),
      'client.vs_raw_pct': round1(percentile(ratios, 0.5) * 100),
      'client.recovery_ms_p50': round1(percentile(recovery, 0.5)),
      'client.recovery_ms_max': round1(Math.max(...recovery)),
    };
  } finally {
    await emu.close();
  }
}

/** Events per second one consumer (in its own worker) receives. */
async function throughput(emu: EmulatorHandle, role: Role): Promise<number> {
  const input: WorkerInput = {
    role,
    apiBase: emu.apiBase,
    loginBase: emu.loginBase,
    events: EVENTS,
  };
  // A worker's entry point is loaded before any --import hook, so register tsx first, then import this file.
  const source = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const worker = new Worker(source, { eval: true, workerData: input });
  try {
    await nextMessage(worker);
    const startedAt = performance.timeOrigin + performance.now();
    const done = nextMessage(worker) as Promise<{ at: number }>;
    let published = 0;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        emu.publish(TOPIC, BODY, BATCH);
        published += BATCH;
        if (published >= EVENTS) resolve();
        else setImmediate(pump);
      };
      pump();
    });
    const { at } = await done;
    return (EVENTS / (at - startedAt)) * 1000;
  } finally {
    worker.postMessage('stop');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
}

/** Milliseconds from each `drop` fault to the reopened socket (the end of the recorded gap). */
async function recoveryTimes(emu: EmulatorHandle): Promise<number[]> {
  const { client, close } = buildClient(emu.apiBase, emu.loginBase, () => undefined, { stableAfterMs: 50 });
  try {
    await client.start();
    const times: number[] = [];
    for (let i = 0; i < DROPS; i++) {
      const recovered = new Promise<number>((resolve) => {
        const off = client.on('gap', () => {
          off();
          resolve(performance.now());
        });
      });
      await new Promise((r) => setTimeout(r, 100));
      const faultAt = performance.now();
      emu.fault({ kind: 'drop' });
      times.push((await recovered) - faultAt);
    }
    return times;
  } finally {
    await close();
  }
}

function buildClient(
  apiBase: string,
  loginBase: string,
  onEvent: () => void,
  session: { stableAfterMs?: number } = {},
): { client: NotificationClient; close: () => Promise<void> } {
  const tokens = RefreshingTokenProvider.clientCredentials({ loginBase, clientId: 'demo', clientSecret: 'demo' });
  const api = new GenesysRestClient({ apiBase, tokens });
  const client = new NotificationClient({ api, tokens, topics: [TOPIC], heartbeatMs: 60_000, onEvent, session });
  return {
    client,
    close: async () => {
      await client.close();
      await api.close();
      tokens.close();
    },
  };
}

/** Worker side: open a consumer, say 'open', count events, say 'done' with the time of the last one. */
async function consume(input: WorkerInput): Promise<void> {
  const port = parentPort;
  if (!port) return;
  let received = 0;
  const count = (): void => {
    received++;
    if (received === input.events) port.postMessage({ at: performance.timeOrigin + performance.now() });
  };
  let stop: () => Promise<void>;
  if (input.role === 'client') {
    const built = buildClient(input.apiBase, input.loginBase, count);
    await built.client.start();
    stop = built.close;
  } else {
    stop = await rawConsumer(input, count);
  }
  port.once('message', () => {
    void stop().then(() => process.exit(0));
  });
  port.postMessage('open');
}

async function rawConsumer(input: WorkerInput, count: () => void): Promise<() => Promise<void>> {
  const auth = Buffer.from('demo:demo').toString('base64');
  const tokenRes = await fetch(`${input.loginBase}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const channelRes = await fetch(`${input.apiBase}/api/v2/notifications/channels`, { method: 'POST', headers });
  const channel = (await channelRes.json()) as { id: string; connectUri: string };
  await fetch(`${input.apiBase}/api/v2/notifications/channels/${channel.id}/subscriptions`, {
    method: 'PUT',
    headers,
    body: JSON.stringify([{ id: TOPIC }]),
  });
  const ws = new WebSocket(channel.connectUri, { perMessageDeflate: false });
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8')) as { topicName?: string };
    if (frame.topicName === TOPIC) count();
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return () => {
    ws.terminate();
    return Promise.resolve();
  };
}

function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

if (!isMainThread && (workerData as WorkerInput | undefined)?.role !== undefined) {
  await consume(workerData as WorkerInput);
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
