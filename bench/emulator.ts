import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { startEmulator } from '../src/emulator/index.ts';

/**
 * Emulator throughput: one raw `ws` client on one channel subscribed to one topic; N events published through the
 * handle in batches (one batch per macrotask so the socket can flush); figure = events received per second.
 * The client runs in a worker thread, so it does not share the emulator's event loop (2 cores: one each).
 */

const EVENTS = 200_000;
const BATCH = 2_000;
const TOPIC = 'v2.users.bench-user.presence';

export async function run(): Promise<Record<string, number | string>> {
  const emu = await startEmulator({ heartbeatMs: 60_000 });
  try {
    const auth = Buffer.from('demo:demo').toString('base64');
    const tokenRes = await fetch(`${emu.loginBase}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const channelRes = await fetch(`${emu.apiBase}/api/v2/notifications/channels`, { method: 'POST', headers });
    const channel = (await channelRes.json()) as { id: string; connectUri: string };
    await fetch(`${emu.apiBase}/api/v2/notifications/channels/${channel.id}/subscriptions`, {
      method: 'PUT',
      headers,
      body: JSON.stringify([{ id: TOPIC }]),
    });
    const client = await startClient(channel.connectUri);
    const body = { id: 'bench-user', presenceDefinition: { id: 'p', systemPresence: 'Available' }, modifiedDate: 'x' };
    const elapsedMs = await measure(client, () => emu.publish(TOPIC, body, BATCH));
    await client.terminate();
    return {
      'emulator.events': EVENTS,
      'emulator.events_per_s': Math.round((EVENTS / elapsedMs) * 1000),
      'emulator.elapsed_ms': Math.round(elapsedMs),
    };
  } finally {
    await emu.close();
  }
}

/** A counting `ws` client in a worker thread; it posts 'open', then the receive time of the last event. */
const CLIENT_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.wsPath);
const ws = new WebSocket(workerData.url, { perMessageDeflate: false });
let received = 0;
ws.on('open', () => parentPort.postMessage({ type: 'open' }));
ws.on('message', () => {
  received++;
  if (received === workerData.events) parentPort.postMessage({ type: 'done', at: performance.timeOrigin + performance.now() });
});
`;

async function startClient(url: string): Promise<Worker> {
  const wsPath = createRequire(import.meta.url).resolve('ws');
  const worker = new Worker(CLIENT_SOURCE, { eval: true, workerData: { url, wsPath, events: EVENTS } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return worker;
}

/** Publishes EVENTS in batches and resolves with the time until the client has received them all. */
function measure(client: Worker, publishBatch: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.timeOrigin + performance.now();
    client.once('message', (message: { at: number }) => resolve(message.at - startedAt));
    client.once('error', reject);
    let published = 0;
    const pump = (): void => {
      publishBatch();
      published += BATCH;
      // setImmediate lets the socket write between batches instead of buffering all N at once.
      if (published < EVENTS) setImmediate(pump);
    };
    pump();
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2));
}
