import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket as UndiciWebSocket } from 'undici';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { createWebSocketFactory, type PlatformWebSocketConstructor } from '../../../src/browser/web-socket.ts';
import { systemClock } from '../../../src/core/clock.ts';
import type { SocketHandlers } from '../../../src/session/socket.ts';

// Node 20 has no global WebSocket: undici's is the same WHATWG implementation Node 22 exposes as a global.
const PlatformWebSocket = UndiciWebSocket as unknown as PlatformWebSocketConstructor;

interface Recorded {
  handlers: SocketHandlers;
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string; httpStatus: number | undefined; at: number }>;
  messages: string[];
  closes: number;
}

function recorder(): Recorded {
  let open!: () => void;
  let close!: (c: { code: number; reason: string; httpStatus: number | undefined; at: number }) => void;
  const rec: Recorded = {
    messages: [],
    closes: 0,
    opened: new Promise((r) => (open = r)),
    closed: new Promise((r) => (close = r)),
    handlers: {
      onOpen: () => open(),
      onMessage: (text) => rec.messages.push(text),
      onClose: (code, reason, httpStatus) => {
        rec.closes++;
        close({ code, reason, httpStatus, at: Date.now() });
      },
    },
  };
  return rec;
}

describe('createWebSocketFactory (the platform WebSocket adapter)', () => {
  let wss: WebSocketServer;
  let url: string;
  const peers: ServerSocket[] = [];
  let silent: Server;
  let silentUrl: string;
  const silentSockets = new Set<Socket>();

  before(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (ws) => peers.push(ws));
    // Accepts TCP and never answers the upgrade.
    silent = createServer((s) => silentSockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const s of silentSockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
  });

  const factory = (connectTimeoutMs = 5_000, closeTimeoutMs = 2_000) =>
    createWebSocketFactory({ clock: systemClock, connectTimeoutMs, closeTimeoutMs, WebSocket: PlatformWebSocket });

  const nextPeer = async (count: number): Promise<ServerSocket> => {
    while (peers.length < count) await new Promise((r) => setTimeout(r, 5));
    return peers[count - 1] as ServerSocket;
  };

  it('opens, receives text and binary frames as text, sends, and reports the close once with its code', async () => {
    const rec = recorder();
    const socket = factory().open(url, rec.handlers);
    await rec.opened;
    const peer = await nextPeer(1);
    const got = new Promise<string>((resolve) => peer.once('message', (d: Buffer) => resolve(d.toString())));
    socket.send('{"message":"ping"}');
    assert.equal(await got, '{"message":"ping"}');
    peer.send('{"topicName":"a"}');
    peer.send(Buffer.from('{"topicName":"é"}'), { binary: true });
    peer.close(4000, 'bye');
    const closed = await rec.closed;
    assert.deepEqual(rec.messages, ['{"topicName":"a"}', '{"topicName":"é"}']);
    assert.deepEqual([closed.code, closed.reason, closed.httpStatus, rec.closes], [4000, 'bye', undefined, 1]);
  });

  it('close(1001) from the session is sent as 1000 (a browser throws on 1001) and completes the handshake', async () => {
    const rec = recorder();
    const socket = factory().open(url, rec.handlers);
    await rec.opened;
    const peer = await nextPeer(2);
    const peerClosed = new Promise<number>((resolve) => peer.once('close', (code: number) => resolve(code)));
    socket.close(1001, 'rollover');
    assert.equal(await peerClosed, 1000);
    assert.equal((await rec.closed).code, 1000);
  });

  it('an upgrade that never completes is given up after connectTimeoutMs and reported as 1006, once', async () => {
    const rec = recorder();
    const startedAt = Date.now();
    factory(200).open(silentUrl, rec.handlers);
    const closed = await rec.closed;
    assert.equal(closed.code, 1006);
    assert.ok(closed.at - startedAt >= 190, `closed after ${closed.at - startedAt} ms`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(rec.closes, 1);
  });

  it('terminate() reports 1006 at once and nothing of that socket reaches the session afterwards', async () => {
    const rec = recorder();
    const socket = factory().open(url, rec.handlers);
    await rec.opened;
    const peer = await nextPeer(3);
    socket.terminate();
    assert.equal((await rec.closed).code, 1006);
    peer.send('{"late":true}');
    peer.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([rec.messages, rec.closes], [[], 1]);
  });

  it('pause() holds frames, resume() hands them on in order, and a close that came meanwhile follows them', async () => {
    const rec = recorder();
    const socket = factory().open(url, rec.handlers);
    await rec.opened;
    const peer = await nextPeer(4);
    socket.pause();
    for (let i = 0; i < 5; i++) peer.send(`{"n":${i}}`);
    peer.close(1000, 'done');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([rec.messages.length, rec.closes], [0, 0]);
    socket.resume();
    assert.deepEqual(
      rec.messages,
      [0, 1, 2, 3, 4].map((n) => `{"n":${n}}`),
    );
    assert.equal((await rec.closed).code, 1000);
  });
});
