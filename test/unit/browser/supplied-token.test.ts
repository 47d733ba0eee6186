import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SuppliedTokenProvider, type TokenSupplyRequest } from '../../../src/browser/supplied-token.ts';
import { AuthError } from '../../../src/core/errors.ts';

describe('SuppliedTokenProvider (the page supplies the token)', () => {
  it('asks once for concurrent callers, keeps the token, and asks again with rejected: true after invalidate', async () => {
    const asked: TokenSupplyRequest[] = [];
    let n = 0;
    const tokens = new SuppliedTokenProvider(async (request) => {
      asked.push(request);
      await new Promise((r) => setTimeout(r, 10));
      return { accessToken: `t${++n}`, expiresAt: 1_000 * n };
    });
    const [a, b] = await Promise.all([tokens.getToken(), tokens.getToken()]);
    assert.deepEqual([a.value, b.value, (await tokens.getToken()).value], ['t1', 't1', 't1']);
    tokens.invalidate({ value: 'stale', expiresAt: 0 }); // not the current one: ignored
    assert.equal((await tokens.getToken()).value, 't1');
    tokens.invalidate(a);
    assert.equal((await tokens.getToken()).value, 't2');
    assert.deepEqual(asked, [{ rejected: false }, { rejected: true }]);
  });

  it('asks again when the token does not outlive what a rollover needs (mustOutlive), passing it on', async () => {
    const asked: TokenSupplyRequest[] = [];
    let expiresAt = 5_000;
    const tokens = new SuppliedTokenProvider((request) => {
      asked.push(request);
      return Promise.resolve({ accessToken: `t${expiresAt}`, expiresAt: (expiresAt += 5_000) });
    });
    const first = await tokens.getToken();
    const second = await tokens.getToken(undefined, { mustOutlive: first.expiresAt });
    assert.ok(second.expiresAt > first.expiresAt);
    assert.deepEqual(asked, [{ rejected: false }, { rejected: false, mustOutlive: first.expiresAt }]);
  });

  it('a bare string never expires as far as the client knows; a failing supplier is a retryable AuthError', async () => {
    const bare = new SuppliedTokenProvider(() => Promise.resolve('abc'));
    const token = await bare.getToken();
    assert.equal(token.value, 'abc');
    assert.ok(token.expiresAt >= Number.MAX_SAFE_INTEGER);
    const failing = new SuppliedTokenProvider(() => Promise.reject(new Error('login required')));
    await assert.rejects(failing.getToken(), (err) => {
      assert.ok(err instanceof AuthError && err.retryable);
      assert.match(err.message, /the token supplier failed: login required/);
      return true;
    });
    const empty = new SuppliedTokenProvider(() => Promise.resolve(''));
    await assert.rejects(empty.getToken(), (err) => err instanceof AuthError && err.retryable);
  });
});
