import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBackoffMs, parseRetryAfterMs } from '../../src/core/backoff.ts';
import { ManualClock } from '../../src/testing/manual-clock.ts';
import { resolveEndpoints } from '../../src/genesys/regions.ts';

describe('backoff', () => {
  it('retries the first attempt immediately and caps later ones', () => {
    const policy = { baseMs: 100, maxMs: 1000, firstImmediate: true };
    assert.equal(
      computeBackoffMs(0, policy, () => 0.99),
      0,
    );
    assert.equal(
      computeBackoffMs(1, policy, () => 0.5),
      50,
    );
    assert.equal(
      computeBackoffMs(2, policy, () => 0.5),
      100,
    );
    assert.equal(
      computeBackoffMs(40, policy, () => 0.999),
      999,
    );
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = Date.UTC(2026, 0, 1);
    assert.equal(parseRetryAfterMs('3', now), 3000);
    assert.equal(parseRetryAfterMs(new Date(now + 5000).toUTCString(), now), 5000);
    assert.equal(parseRetryAfterMs('soon', now), undefined);
    assert.equal(parseRetryAfterMs(null, now), undefined);
  });
});

describe('ManualClock', () => {
  it('fires timers in due order, including ones armed by callbacks', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => {
      fired.push('a');
      clock.setTimeout(() => fired.push('c'), 15);
    }, 10);
    const cancelled = clock.setTimeout(() => fired.push('x'), 5);
    clock.clearTimeout(cancelled);
    clock.advance(30);
    assert.deepEqual(fired, ['a', 'b', 'c']);
    assert.equal(clock.now(), 30);
  });

  it('sleep resolves when time advances and rejects on abort', async () => {
    const clock = new ManualClock(0);
    const done = clock.sleep(100);
    await clock.advanceAsync(100);
    await done;
    const ac = new AbortController();
    const aborted = clock.sleep(100, ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
  });
});

describe('regions', () => {
  it('maps SDK keys and domains, and lets overrides win', () => {
    assert.deepEqual(resolveEndpoints('eu_west_1'), {
      apiBase: 'https://api.mypurecloud.ie',
      loginBase: 'https://login.mypurecloud.ie',
    });
    assert.equal(resolveEndpoints(undefined).apiBase, 'https://api.mypurecloud.com');
    assert.equal(
      resolveEndpoints('mypurecloud.de', { apiBase: 'http://127.0.0.1:4010/' }).apiBase,
      'http://127.0.0.1:4010',
    );
  });
});
