import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { classifyTokenFailure, fetchClientCredentialsToken } from '../../../src/auth/client-credentials.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { AuthError, NetworkError } from '../../../src/core/errors.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { ScriptedTransport, type ScriptedReply } from '../genesys/scripted-transport.ts';

const SECRET = 's3cr3t-value-never-logged';
const LOGIN = 'https://login.example.test';

function fetchWith(reply: ScriptedReply) {
  const clock = new ManualClock();
  const transport = new ScriptedTransport(clock, () => reply);
  const result = fetchClientCredentialsToken({
    loginBase: LOGIN,
    clientId: 'my-client',
    clientSecret: SECRET,
    clock,
    transport,
  });
  return { clock, transport, result };
}

async function rejection(reply: ScriptedReply): Promise<AuthError> {
  const { result } = fetchWith(reply);
  const err = await result.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AuthError, String(err));
  assert.ok(!err.message.includes(SECRET), 'the secret leaked into the message');
  return err;
}

describe('fetchClientCredentialsToken', () => {
  it('sends the Basic header and form body and computes expiresAt from expires_in', async () => {
    const { clock, transport, result } = fetchWith({
      status: 200,
      body: { access_token: 'tok-1', token_type: 'bearer', expires_in: 300 },
    });
    assert.deepEqual(await result, { value: 'tok-1', expiresAt: clock.now() + 300_000 });
    const req = transport.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, `${LOGIN}/oauth/token`);
    assert.equal(req.headers.authorization, `Basic ${Buffer.from(`my-client:${SECRET}`).toString('base64')}`);
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(req.body, 'grant_type=client_credentials');
  });

  it('treats an unknown client id as fatal and says to check the id and region', async () => {
    const err = await rejection({
      status: 400,
      body: { error: 'invalid_client', description: 'client not found', error_description: 'client not found' },
    });
    assert.equal(err.retryable, false);
    assert.match(err.message, /client id "my-client"/);
    assert.match(err.message, /GENESYS_REGION/);
  });

  it('treats a wrong secret as fatal and says to check the secret without quoting it', async () => {
    const err = await rejection({
      status: 401,
      body: {
        error: 'invalid_client',
        description: 'authentication failed',
        error_description: 'authentication failed',
      },
    });
    assert.equal(err.retryable, false);
    assert.match(err.message, /GENESYS_CLIENT_SECRET/);
  });

  it('retries an answer that is not the login host refusing the client, and still points at the login base', async () => {
    for (const reply of [
      { status: 404, body: '<html>nope</html>' },
      { status: 400, body: '<html>proxy</html>' },
      { status: 403, body: { error: 'access_denied' } },
    ]) {
      const err = await rejection(reply);
      assert.equal(err.retryable, true, `${reply.status} is retried`);
      assert.match(err.message, /will retry/);
    }
    assert.match((await rejection({ status: 404, body: '<html>nope</html>' })).message, /region \/ login base/);
  });

  it('is fatal only for the login host refusing the client: invalid_client, invalid_grant, any 401', async () => {
    for (const reply of [
      { status: 400, body: { error: 'invalid_grant', error_description: 'expired' } },
      { status: 400, body: { error: 'invalid_client', description: 'client not found' } },
      { status: 401, body: { code: 'bad.credentials', message: 'Invalid login credentials.' } },
      { status: 401, body: '' },
    ]) {
      const err = await rejection(reply);
      assert.equal(err.retryable, false, JSON.stringify(reply));
      assert.match(err.message, /rejected/);
    }
  });

  it('notes a truncated error body in the message', () => {
    const err = classifyTokenFailure(
      { status: 502, text: '<html>', header: () => undefined, truncated: { limitBytes: 1_048_576 } },
      { clientId: 'c', loginBase: 'https://login.example.test', nowMs: 0 },
    );
    assert.match(err.message, /truncated at 1048576 bytes/);
  });

  it('marks 429 and 5xx retryable and carries Retry-After', async () => {
    const limited = await rejection({ status: 429, headers: { 'Retry-After': '7' }, body: '' });
    assert.equal(limited.retryable, true);
    assert.equal(limited.retryAfterMs, 7000);
    const down = await rejection({ status: 503, body: '<html>503</html>' });
    assert.equal(down.retryable, true);
    assert.equal(down.retryAfterMs, undefined);
  });

  it('rejects a 200 without a token as a configuration problem', async () => {
    const err = await rejection({ status: 200, body: { hello: 'world' } });
    assert.equal(err.retryable, false);
  });

  it('works over real HTTP with the default transport, and maps a refused connection to a retryable NetworkError', async () => {
    let seen: IncomingMessage | undefined;
    let body = '';
    const server = createServer((req, res) => {
      seen = req;
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'real', token_type: 'bearer', expires_in: 60 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const token = await fetchClientCredentialsToken({
        loginBase: base,
        clientId: 'a',
        clientSecret: 'b',
        clock: systemClock,
      });
      assert.equal(token.value, 'real');
      assert.equal(seen?.url, '/oauth/token');
      assert.equal(body, 'grant_type=client_credentials');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await assert.rejects(
      fetchClientCredentialsToken({ loginBase: base, clientId: 'a', clientSecret: 'b', clock: systemClock }),
      (err: unknown) => err instanceof NetworkError && err.retryable,
    );
  });
});
