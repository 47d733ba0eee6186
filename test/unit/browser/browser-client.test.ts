import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket as UndiciWebSocket } from 'undici';
import { BrowserNotificationClient } from '../../../src/browser/browser-client.ts';
import type { SuppliedToken, TokenSupplyRequest } from '../../../src/browser/supplied-token.ts';
import type { PlatformWebSocketConstructor } from '../../../src/browser/web-socket.ts';
import type { RelayError } from '../../../src/core/errors.ts';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';
import { eventKey, type RelayEvent } from '../../../src/envelope/envelope.ts';
import type { Gap } from '../../../src/session/gap.ts';
import { audit, FAST, userTopic, waitFor } from '../../integration/client/helpers.ts';

// Node 20 has no global WebSocket; undici's is the WHATWG implementation (Node 22's global). fetch is Node's global.
const PlatformWebSocket = UndiciWebSocket as unknown as PlatformWebSocketConstructor;

/** What a page does after its implicit-grant/PKCE redirect, done here with the emulator's login host. */
async function mintToken(emu: EmulatorHandle): Promise<SuppliedToken> {
  const res = await fetch(`${emu.loginBase}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { access_token: string; expires_in: number };
  return { accessToken: body.access_token, expiresAt: Date.now() + body.expires_in * 1_000 };
}

interface Page {
  client: BrowserNotificationClient;
  events: RelayEvent[];
  gaps: Gap[];
  errors: RelayError[];
  asked: TokenSupplyRequest[];
}

function startPage(emu: EmulatorHandle, topics: string[], extra: { tokenRolloverLeadMs?: number } = {}): Page {
  const page: Page = { events: [], gaps: [], errors: [], asked: [] } as unknown as Page;
  page.client = new BrowserNotificationClient({
    apiBase: emu.apiBase,
    topics,
    ...FAST,
    ...(extra.tokenRolloverLeadMs === undefined
      ? {}
      : { session: { ...FAST.session, tokenRolloverLeadMs: extra.tokenRolloverLeadMs } }),
    WebSocket: PlatformWebSocket,
    getToken: (request) => {
      page.asked.push(request);
      return mintToken(emu);
    },
    onEvent: (e) => void page.events.push(e),
  });
  page.client.on('gap', (g) => page.gaps.push(g));
  page.client.on('error', (e) => page.errors.push(e));
  return page;
}

describe('BrowserNotificationClient (fetch + WHATWG WebSocket + a supplied token) against the emulator', () => {
  let emu: EmulatorHandle;
  const pages: Page[] = [];
  before(async () => {
    emu = await startEmulator({ heartbeatMs: 40, socketClosingLeadMs: 1_500 });
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.client.close()));
    await emu.close();
  });

  it('delivers every event once, with the same relay.key as the Node side computes', async () => {
    const topic = userTopic(1);
    const page = startPage(emu, [topic]);
    pages.push(page);
    await page.client.start();
    for (let i = 0; i < 20; i++) emu.publish(topic, { i });
    await waitFor(() => page.events.length >= 20, '20 events');
    assert.deepEqual(audit(page.events, topic, 20), { missing: [], duplicates: [] });
    for (const e of page.events) {
      assert.equal(e.relay.key, eventKey(e.topicName, e.metadata['CorrelationId'] as string, e.eventBody));
    }
    assert.deepEqual(page.asked, [{ rejected: false }]);
    assert.equal(page.client.status().shards[0]?.state, 'open');
  });

  it('a dropped socket (1006, no close frame) is recorded as a gap and later events arrive on the new socket', async () => {
    const topic = userTopic(2);
    const page = startPage(emu, [topic]);
    pages.push(page);
    await page.client.start();
    const channelId = page.client.status().shards[0]?.channelId;
    assert.ok(channelId);
    emu.publish(topic, { before: true });
    await waitFor(() => page.events.length === 1, 'the first event');
    emu.fault({ kind: 'drop', channelId });
    await waitFor(() => page.gaps.length === 1, 'the gap record');
    await waitFor(() => page.client.status().shards[0]?.state === 'open', 'the shard open again');
    emu.publish(topic, { after: true });
    await waitFor(() => page.events.length === 2, 'the event after the drop');
    const gap = page.gaps[0];
    assert.ok(gap);
    assert.deepEqual([gap.channelId, gap.topics, gap.reason], [channelId, [topic], 'socket closed 1006']);
    assert.ok(gap.endAt >= gap.startAt);
    assert.deepEqual(page.errors, []);
  });

  it('a revoked token: the supplier is asked again with rejected: true, a new channel is made, events flow', async () => {
    const topic = userTopic(3);
    const page = startPage(emu, [topic]);
    pages.push(page);
    await page.client.start();
    const before = page.client.status().shards[0]?.channelId;
    emu.fault({ kind: 'revoke-token', clientId: 'demo' });
    await waitFor(() => page.asked.some((r) => r.rejected), 'the supplier asked after the rejection');
    await waitFor(() => {
      const shard = page.client.status().shards[0];
      return shard?.state === 'open' && shard.channelId !== before;
    }, 'a new channel open');
    emu.publish(topic, { afterRevoke: true });
    await waitFor(() => page.events.length === 1, 'the event on the new channel');
    assert.deepEqual(page.errors, []);
  });

  it('a planned rollover (socket_closing) is make-before-break: no gap, no event lost or repeated', async () => {
    const topic = userTopic(4);
    const page = startPage(emu, [topic]);
    pages.push(page);
    await page.client.start();
    const before = page.client.status().shards[0]?.channelId;
    assert.ok(before);
    let published = 0;
    const publisher = setInterval(() => emu.publish(topic, { n: ++published }), 5);
    emu.fault({ kind: 'socket-closing', channelId: before });
    await waitFor(() => page.client.status().shards[0]?.channelId !== before, 'the replacement channel');
    await new Promise((r) => setTimeout(r, 100));
    clearInterval(publisher);
    await waitFor(() => page.events.length >= published, `${published} events`);
    assert.deepEqual(audit(page.events, topic, published), { missing: [], duplicates: [] });
    assert.deepEqual(page.gaps, []);
  });

  it('a channel bound to an expiring token rolls over ahead of it with a newer supplied token: no gap, no loss', async () => {
    // Tokens live 3 s here and channels end with their token (as on Genesys).
    const shortEmu = await startEmulator({ heartbeatMs: 40, tokenTtlS: 3 });
    try {
      const topic = userTopic(5);
      const page = startPage(shortEmu, [topic], { tokenRolloverLeadMs: 1_500 });
      pages.push(page);
      await page.client.start();
      const first = page.client.status().shards[0]?.channelId;
      let published = 0;
      const publisher = setInterval(() => shortEmu.publish(topic, { n: ++published }), 10);
      await waitFor(() => page.asked.some((r) => r.mustOutlive !== undefined), 'a token that outlives the channel');
      await waitFor(() => page.client.status().shards[0]?.channelId !== first, 'the replacement channel');
      await new Promise((r) => setTimeout(r, 100));
      clearInterval(publisher);
      await waitFor(() => page.events.length >= published, `${published} events`);
      assert.deepEqual(audit(page.events, topic, published), { missing: [], duplicates: [] });
      assert.deepEqual(page.gaps, []);
      await page.client.close();
    } finally {
      await shortEmu.close();
    }
  });
});
