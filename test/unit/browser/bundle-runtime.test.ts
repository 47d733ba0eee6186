import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { WebSocket as UndiciWebSocket } from 'undici';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';
import { eventKey, type RelayEvent } from '../../../src/envelope/envelope.ts';
import type { Gap } from '../../../src/session/gap.ts';
import { FAST, userTopic, waitFor } from '../../integration/client/helpers.ts';

const root = join(import.meta.dirname, '..', '..', '..');

/**
 * Only what a browser page has (fetch, WebSocket, timers, encoders, URL, AbortController): no Buffer, process,
 * setImmediate, require or performance. A Node-only global reached at run time throws a ReferenceError here, as it
 * would in a page.
 */
function pageGlobals(): Record<string, unknown> {
  return {
    fetch: (url: string, init: RequestInit) => fetch(url, init),
    WebSocket: UndiciWebSocket,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    queueMicrotask,
    TextEncoder,
    TextDecoder,
    URL,
    URLSearchParams,
    AbortController,
    AbortSignal,
    console,
  };
}

interface BundleExports {
  BrowserNotificationClient: new (options: Record<string, unknown>) => {
    start(): Promise<void>;
    close(): Promise<void>;
    on(event: string, listener: (arg: never) => void): () => void;
    status(): { shards: Array<{ state: string; channelId?: string }> };
  };
}

async function loadBundle(): Promise<BundleExports> {
  const result = await build({
    entryPoints: [join(root, 'src/browser/index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'GenesysRelayBrowser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const context = createContext(pageGlobals());
  runInContext(result.outputFiles[0]?.text ?? '', context);
  return (context as unknown as { GenesysRelayBrowser: BundleExports }).GenesysRelayBrowser;
}

describe('the minified browser bundle, run with only a page’s globals, against the emulator', () => {
  let emu: EmulatorHandle;
  let bundle: BundleExports;
  before(async () => {
    emu = await startEmulator({ heartbeatMs: 40 });
    bundle = await loadBundle();
  });
  after(async () => {
    await emu.close();
  });

  it('delivers events with Node’s relay.key, survives a dropped socket with a gap, and uses no Node global', async () => {
    const topic = userTopic(7);
    const events: RelayEvent[] = [];
    const gaps: Gap[] = [];
    const errors: unknown[] = [];
    const client = new bundle.BrowserNotificationClient({
      apiBase: emu.apiBase,
      topics: [topic],
      ...FAST,
      getToken: async () => {
        const res = await fetch(`${emu.loginBase}/oauth/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${btoa('demo:demo')}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
        return ((await res.json()) as { access_token: string }).access_token;
      },
      onEvent: (e: RelayEvent) => void events.push(e),
    });
    client.on('gap', (g: Gap) => void gaps.push(g));
    client.on('error', (e: unknown) => void errors.push(e));
    await client.start();
    try {
      for (let i = 0; i < 5; i++) emu.publish(topic, { i, text: 'Zoë ☕' });
      await waitFor(() => events.length === 5, '5 events');
      // The watchdog's timers (pings, the stale check) have run by now too: let a few heartbeat periods pass.
      await new Promise((r) => setTimeout(r, 300));
      emu.fault({ kind: 'drop' });
      await waitFor(() => gaps.length === 1, 'the gap');
      await waitFor(() => client.status().shards[0]?.state === 'open', 'open again');
      emu.publish(topic, { after: true });
      await waitFor(() => events.length === 6, 'the event after the drop');
      for (const e of events) {
        assert.equal(e.relay.key, eventKey(e.topicName, e.metadata['CorrelationId'] as string, e.eventBody));
      }
      assert.equal(gaps[0]?.reason, 'socket closed 1006');
      assert.deepEqual(errors, []);
    } finally {
      await client.close();
    }
  });
});
