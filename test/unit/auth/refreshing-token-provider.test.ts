import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { RefreshingTokenProvider, type TokenRefreshEvent } from '../../../src/auth/refreshing-token-provider.ts';
import type { AccessToken } from '../../../src/auth/token-provider.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { AuthError, ClosedError } from '../../../src/core/errors.ts';
import { ManualClock, flushMicrotasks } from '../../../src/testing/manual-clock.ts';

/** A fetchToken whose results the test controls: each call waits until the test settles it. */
function controlledFetch(clock: ManualClock, lifetimeMs = 100_000) {
  const calls: Array<{ at: number; resolve: () => void; reject: (e: Error) => void }> = [];
  const fetchToken = (): Promise<AccessToken> =>
    new Promise<AccessToken>((resolve, reject) => {
      const n = calls.length + 1;
      calls.push({
        at: clock.now(),
        resolve: () => resolve({ value: `t${n}`, expiresAt: clock.now() + lifetimeMs }),
        reject,
      });
    });
  return { calls, fetchToken };
}

/** A fetchToken that answers at once from a list of outcomes (the last one repeats). */
function scriptedFetch(clock: ManualClock, outcomes: Array<'ok' | Error>, lifetimeMs = 100_000) {
  const at: number[] = [];
  const fetchToken = (): Promise<AccessToken> => {
    at.push(clock.now());
    const outcome = outcomes[Math.min(at.length, outcomes.length) - 1] ?? 'ok';
    return outcome === 'ok'
      ? Promise.resolve({ value: `t${at.length}`, expiresAt: clock.now() + lifetimeMs })
      : Promise.reject(outcome);
  };
  return { at, fetchToken };
}

describe('RefreshingTokenProvider', () => {
  it('shares one request among concurrent callers and caches the result', async () => {
    const clock = new ManualClock();
    const { calls, fetchToken } = controlledFetch(clock);
    const provider = new RefreshingTokenProvider({ fetchToken, clock });
    const waiters = Array.from({ length: 10 }, () => provider.getToken());
    await flushMicrotasks();
    assert.equal(calls.length, 1);
    calls[0]!.resolve();
    const tokens = await Promise.all(waiters);
    assert.ok(tokens.every((t) => t.value === 't1'));
    assert.equal((await provider.getToken()).value, 't1');
    assert.equal(calls.length, 1);
    provider.close();
  });

  it('mustOutlive: a caller needing a token that outlives the cached one gets one refresh, shared, then the cache', async () => {
    const clock = new ManualClock(0);
    const refreshes: TokenRefreshEvent[] = [];
    const { calls, fetchToken } = controlledFetch(clock);
    const provider = new RefreshingTokenProvider({ fetchToken, clock, onRefresh: (e) => refreshes.push(e) });
    const first = provider.getToken();
    await flushMicrotasks();
    calls[0]!.resolve();
    const t1 = await first;
    await clock.advanceAsync(10_000);
    assert.equal((await provider.getToken(undefined, { mustOutlive: t1.expiresAt - 1 })).value, 't1', 'outlives');
    const waiters = [1, 2, 3].map(() => provider.getToken(undefined, { mustOutlive: t1.expiresAt }));
    await flushMicrotasks();
    assert.equal(calls.length, 2, 'one refresh for every caller');
    calls[1]!.resolve();
    const fresh = await Promise.all(waiters);
    assert.ok(fresh.every((t) => t.value === 't2' && t.expiresAt > t1.expiresAt));
    assert.equal((await provider.getToken()).value, 't2');
    assert.equal(refreshes.at(-1)?.reason, 'proactive');
    provider.close();
  });

  it('refreshes proactively at expiresAt - min(60 s, 10% of lifetime)', async () => {
    const clock = new ManualClock(0);
    const { at, fetchToken } = scriptedFetch(clock, ['ok'], 100_000);
    const provider = new RefreshingTokenProvider({ fetchToken, clock });
    await provider.getToken();
    await clock.advanceAsync(89_999);
    assert.deepEqual(at, [0]);
    await clock.advanceAsync(1);
    assert.deepEqual(at, [0, 90_000]);
    assert.equal((await provider.getToken()).value, 't2');
    // A 24 h token refreshes 60 s before expiry, not 2.4 h.
    const long = scriptedFetch(clock, ['ok'], 86_400_000);
    const p2 = new RefreshingTokenProvider({ fetchToken: long.fetchToken, clock });
    await p2.getToken();
    await clock.advanceAsync(86_400_000 - 60_000);
    assert.equal(long.at.length, 2);
    provider.close();
    p2.close();
  });

  it('keeps serving a valid token when a proactive refresh fails, and tries again before expiry', async () => {
    const clock = new ManualClock(0);
    const down = new AuthError('503', { retryable: true });
    const { at, fetchToken } = scriptedFetch(clock, ['ok', down, 'ok'], 100_000);
    const provider = new RefreshingTokenProvider({ fetchToken, clock, maxAttempts: 1 });
    await provider.getToken();
    await clock.advanceAsync(91_000);
    assert.deepEqual(at, [0, 90_000]);
    assert.equal((await provider.getToken()).value, 't1');
    assert.equal(at.length, 2, 'a caller must not trigger its own token request');
    await clock.advanceAsync(3_000);
    // Retried a third of the remaining 10 s later, well before the old token lapses.
    assert.equal(at.length, 3);
    assert.ok(at[2]! > 93_000 && at[2]! < 94_000, `retried at ${at[2]}`);
    assert.equal((await provider.getToken()).value, 't3');
    provider.close();
  });

  it('after invalidate(token) fetches anew, unless a newer token is already cached', async () => {
    const clock = new ManualClock();
    const { at, fetchToken } = scriptedFetch(clock, ['ok']);
    const provider = new RefreshingTokenProvider({ fetchToken, clock });
    const first = await provider.getToken();
    provider.invalidate(first);
    const second = await provider.getToken();
    assert.equal(second.value, 't2');
    provider.invalidate(first); // stale report from a slow caller: keep t2
    assert.equal((await provider.getToken()).value, 't2');
    assert.equal(at.length, 2);
    provider.close();
  });

  it('surfaces a fatal AuthError to every waiter after one request, then fails fast during the cooldown', async () => {
    const clock = new ManualClock();
    const fatal = new AuthError('token request rejected (401 invalid_client)', { retryable: false });
    const { at, fetchToken } = scriptedFetch(clock, [fatal]);
    const events: TokenRefreshEvent[] = [];
    const provider = new RefreshingTokenProvider({
      fetchToken,
      clock,
      fatalCooldownMs: 60_000,
      onRefresh: (e) => events.push(e),
    });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => provider.getToken()));
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason === fatal));
    assert.equal(at.length, 1);
    await assert.rejects(provider.getToken(), (e) => e === fatal);
    assert.equal(at.length, 1);
    await clock.advanceAsync(60_000);
    await assert.rejects(provider.getToken(), (e) => e === fatal);
    assert.equal(at.length, 2);
    assert.deepEqual(
      events.map((e) => e.outcome),
      ['error', 'error'],
    );
    provider.close();
  });

  it('retries transient failures, waiting Retry-After or backoff, within maxAttempts', async () => {
    const clock = new ManualClock(0);
    const busy = new AuthError('429', { retryable: true, retryAfterMs: 2_000 });
    const { at, fetchToken } = scriptedFetch(clock, [busy, busy, 'ok']);
    const provider = new RefreshingTokenProvider({ fetchToken, clock, random: () => 0.5 });
    const token = provider.getToken();
    await clock.advanceAsync(10_000);
    assert.equal((await token).value, 't3');
    assert.deepEqual(at, [0, 2_000, 4_000]);

    const down = new AuthError('503', { retryable: true });
    const failing = scriptedFetch(clock, [down]);
    const p2 = new RefreshingTokenProvider({
      fetchToken: failing.fetchToken,
      clock,
      maxAttempts: 3,
      random: () => 0.5,
    });
    const outcome = assert.rejects(p2.getToken(), (e) => e === down);
    await clock.advanceAsync(60_000);
    await outcome;
    assert.equal(failing.at.length, 3);
    provider.close();
    p2.close();
  });

  it('gives up when the refresh deadline passes, aborting the hung request', async () => {
    const clock = new ManualClock(0);
    let aborted = false;
    const fetchToken = (signal: AbortSignal): Promise<AccessToken> =>
      new Promise((_, reject) =>
        signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason as Error))),
      );
    const provider = new RefreshingTokenProvider({ fetchToken, clock, refreshTimeoutMs: 5_000 });
    const outcome = assert.rejects(provider.getToken(), /did not finish within 5000 ms/);
    await clock.advanceAsync(5_000);
    await outcome;
    assert.ok(aborted);
    provider.close();
  });

  it('lets one caller abort its wait without cancelling the shared refresh', async () => {
    const clock = new ManualClock();
    const { calls, fetchToken } = controlledFetch(clock);
    const provider = new RefreshingTokenProvider({ fetchToken, clock });
    const controller = new AbortController();
    const impatient = provider.getToken(controller.signal);
    const patient = provider.getToken();
    await flushMicrotasks();
    controller.abort(new Error('caller gave up'));
    await assert.rejects(impatient, /caller gave up/);
    calls[0]!.resolve();
    assert.equal((await patient).value, 't1');
    provider.close();
  });

  it('close() cancels the refresh timer and later calls reject', async () => {
    const clock = new ManualClock();
    const { fetchToken } = scriptedFetch(clock, ['ok']);
    const provider = new RefreshingTokenProvider({ fetchToken, clock });
    await provider.getToken();
    assert.equal(clock.pendingCount, 1);
    provider.close();
    assert.equal(clock.pendingCount, 0);
    await assert.rejects(provider.getToken(), ClosedError);
  });

  it('sends one request for 20 concurrent callers against a real counting server', async () => {
    let count = 0;
    const server = createServer((req, res) => {
      count += 1;
      req.resume();
      // Answer late, so that all callers arrive while the request is in flight.
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: `real-${count}`, token_type: 'bearer', expires_in: 3600 }));
      }, 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const loginBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const provider = RefreshingTokenProvider.clientCredentials({
      loginBase,
      clientId: 'a',
      clientSecret: 'b',
      clock: systemClock,
    });
    try {
      const tokens = await Promise.all(Array.from({ length: 20 }, () => provider.getToken()));
      assert.equal(count, 1);
      assert.ok(tokens.every((t) => t.value === 'real-1'));
    } finally {
      provider.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
