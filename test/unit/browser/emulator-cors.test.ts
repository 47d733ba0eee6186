import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';

const PAGE = 'http://127.0.0.1:5999';

describe('emulator CORS (what a browser client needs of the API)', () => {
  let emu: EmulatorHandle;
  before(async () => {
    emu = await startEmulator({});
  });
  after(async () => {
    await emu.close();
  });

  it('answers a preflight 204 before auth, allowing the origin, Authorization and Content-Type, PUT and HEAD', async () => {
    const res = await fetch(`${emu.apiBase}/api/v2/notifications/channels/x/subscriptions`, {
      method: 'OPTIONS',
      headers: {
        origin: PAGE,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), PAGE);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /PUT/);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /HEAD/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /Content-Type/);
  });

  it('error answers carry the CORS headers too (a page must read a 401 as a 401, not a network error)', async () => {
    const res = await fetch(`${emu.apiBase}/api/v2/notifications/channels`, {
      method: 'POST',
      headers: { origin: PAGE, authorization: 'Bearer nope' },
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), PAGE);
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
  });

  it('a request without Origin (a Node client) gets no CORS headers', async () => {
    const res = await fetch(`${emu.apiBase}/api/v2/notifications/channels`, { method: 'POST' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });
});
