// Direct mode: the page subscribes to Genesys itself with the browser client (genesys-relay/browser): the same
// session machine as the relay (reconnects, rollovers before a channel or its token expires, de-duplication, gap
// records), on the browser's fetch and WebSocket. The page's own bundler would import 'genesys-relay/browser';
// here `genesys-relay demo --web` serves that entry as one ES module.
import { BrowserNotificationClient } from './genesys-relay.browser.js';

/**
 * Starts the client. `tokenUrl` stands in for the page's login: a real page holds a token from an implicit-grant
 * or PKCE redirect and hands it over here; it never holds a client secret (anything in a page is public).
 */
export async function runDirect({ apiBase, tokenUrl, topics, heartbeatMs, onEvent, onGap, onConnection }) {
  const client = new BrowserNotificationClient({
    apiBase,
    topics,
    ...(heartbeatMs ? { heartbeatMs } : {}),
    // Asked at start, after Genesys refused the token (rejected: true) and before a token-bound channel expires.
    getToken: async () => {
      const res = await fetch(tokenUrl, { cache: 'no-store' });
      if (!res.ok) throw new Error(`token endpoint answered ${res.status}`);
      return res.json();
    },
    onEvent,
  });
  const describe = () => {
    const states = client.status().shards.map((s) => s.state);
    return states.length > 0 && states.every((s) => s === 'open') ? 'live' : states.join(', ') || 'connecting';
  };
  client.on('state', () => onConnection(describe()));
  client.on('gap', onGap);
  client.on('error', (err) => onConnection(`error: ${err.message}`));
  window.addEventListener('pagehide', () => void client.close());
  await client.start();
  onConnection(describe());
  return client;
}
