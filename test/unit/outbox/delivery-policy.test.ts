import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDelivery, defaultDeliveryPolicy, type DeliveryPolicy } from '../../../src/outbox/delivery-policy.ts';
import type { DeliveryOutcome } from '../../../src/sinks/sink.ts';

const now = 1_000_000;
const policy: DeliveryPolicy = {
  maxAttempts: 3,
  backoff: { baseMs: 100, maxMs: 1_000, firstImmediate: false },
  maxRetryAfterMs: 60_000,
  blockedRetryMs: 20_000,
};
const half = (): number => 0.5;
const retryable = (retryAfterMs?: number): DeliveryOutcome =>
  retryAfterMs === undefined
    ? { kind: 'retryable', error: 'boom' }
    : { kind: 'retryable', error: 'boom', retryAfterMs };

describe('decideDelivery', () => {
  const rows: { name: string; attempt: number; outcome: DeliveryOutcome; expected: unknown }[] = [
    { name: 'delivered → ack', attempt: 1, outcome: { kind: 'delivered' }, expected: { action: 'ack' } },
    {
      name: 'delivered on the last attempt → ack',
      attempt: 3,
      outcome: { kind: 'delivered' },
      expected: { action: 'ack' },
    },
    {
      name: 'permanent → dead-letter at once',
      attempt: 1,
      outcome: { kind: 'permanent', error: '403 forbidden' },
      expected: { action: 'deadLetter', reason: 'permanent: 403 forbidden' },
    },
    {
      name: 'first retryable → backoff base·½',
      attempt: 1,
      outcome: retryable(),
      expected: { action: 'retry', at: now + 50 },
    },
    {
      name: 'second retryable → doubles',
      attempt: 2,
      outcome: retryable(),
      expected: { action: 'retry', at: now + 100 },
    },
    {
      name: 'Retry-After longer than the backoff → Retry-After',
      attempt: 1,
      outcome: retryable(7_000),
      expected: { action: 'retry', at: now + 7_000 },
    },
    {
      name: 'Retry-After shorter than the backoff → the backoff (Retry-After is a floor, not an attempt budget)',
      attempt: 2,
      outcome: retryable(10),
      expected: { action: 'retry', at: now + 100 },
    },
    {
      name: 'Retry-After 0 → the backoff',
      attempt: 2,
      outcome: retryable(0),
      expected: { action: 'retry', at: now + 100 },
    },
    {
      name: 'Retry-After capped by maxRetryAfterMs',
      attempt: 1,
      outcome: retryable(86_400_000),
      expected: { action: 'retry', at: now + 60_000 },
    },
    {
      name: 'retryable on the last attempt → dead-letter',
      attempt: 3,
      outcome: retryable(5),
      expected: { action: 'deadLetter', reason: 'gave up after 3 attempts: boom' },
    },
    {
      name: 'beyond the budget (attempts counted elsewhere) → dead-letter',
      attempt: 9,
      outcome: retryable(),
      expected: { action: 'deadLetter', reason: 'gave up after 9 attempts: boom' },
    },
    {
      name: 'blocked → defer by blockedRetryMs, attempt not counted',
      attempt: 1,
      outcome: { kind: 'blocked', error: 'HTTP 401 (authentication failed: check …)' },
      expected: { action: 'defer', at: now + 20_000 },
    },
    {
      name: 'blocked on (and beyond) the last attempt → still defer, never dead-letter',
      attempt: 9,
      outcome: { kind: 'blocked', error: 'HTTP 401' },
      expected: { action: 'defer', at: now + 20_000 },
    },
    {
      name: 'blocked with the sink’s own retryAfterMs → that, capped by maxRetryAfterMs',
      attempt: 1,
      outcome: { kind: 'blocked', error: 'login refused', retryAfterMs: 86_400_000 },
      expected: { action: 'defer', at: now + 60_000 },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(decideDelivery(row.attempt, row.outcome, now, policy, half), row.expected);
    });
  }

  it('caps backoff at maxMs however many attempts', () => {
    const wide = { ...policy, maxAttempts: 100 };
    assert.deepEqual(
      decideDelivery(60, retryable(), now, wide, () => 0.999),
      { action: 'retry', at: now + 999 },
    );
  });

  it('defaults: 10 attempts, never an immediate first retry', () => {
    assert.equal(defaultDeliveryPolicy.maxAttempts, 10);
    assert.equal(defaultDeliveryPolicy.blockedRetryMs, 60_000);
    const d = decideDelivery(1, retryable(), now, defaultDeliveryPolicy, () => 0.999);
    assert.deepEqual(d, { action: 'retry', at: now + 999 });
  });
});
