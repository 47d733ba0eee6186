import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryBudget } from '../../../src/genesys/retry-budget.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';

describe('RetryBudget', () => {
  it('allows the minimum plus a ratio of recent requests, and refills as the window slides', () => {
    const clock = new ManualClock(0);
    const budget = new RetryBudget(clock, { ratio: 0.5, minRetriesPerWindow: 1, windowMs: 10_000 });
    for (let i = 0; i < 4; i++) budget.recordRequest();
    // 1 + 0.5·4 = 3 retries.
    assert.deepEqual(
      [1, 2, 3, 4].map(() => budget.tryAcquireRetry()),
      [true, true, true, false],
    );
    clock.advance(5_000);
    assert.equal(budget.tryAcquireRetry(), false, 'still inside the window');
    clock.advance(5_000);
    // The first bucket fell out: requests and retries are forgotten, the minimum is available again.
    assert.deepEqual(budget.snapshot(), { requests: 0, retries: 0, allowedRetries: 1 });
    assert.equal(budget.tryAcquireRetry(), true);
    assert.equal(budget.tryAcquireRetry(), false);
  });
});
