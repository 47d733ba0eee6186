import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SinkBlocking } from '../../../src/outbox/sink-blocking.ts';
import type { DeliveryOutcome } from '../../../src/sinks/sink.ts';

const blocked = (error: string): DeliveryOutcome => ({ kind: 'blocked', error });
const retryable: DeliveryOutcome = { kind: 'retryable', error: 'HTTP 503' };

describe('SinkBlocking', () => {
  it('reports the change to blocked once, keeps the first time and the latest reason', () => {
    const b = new SinkBlocking();
    assert.deepEqual(b.update([{ kind: 'delivered' }], 1), undefined);
    assert.deepEqual(b.update([{ kind: 'delivered' }, blocked('401 a')], 2), { to: 'blocked', reason: '401 a' });
    assert.equal(b.update([blocked('401 b')], 3), undefined);
    assert.deepEqual(b.current, { reason: '401 b', since: 2 });
  });

  it('only an answer about the events unblocks: retryable outcomes say nothing about the credentials', () => {
    const b = new SinkBlocking();
    b.update([blocked('401')], 1);
    assert.equal(b.update([retryable, retryable], 2), undefined);
    assert.equal(b.current?.reason, '401');
    assert.deepEqual(b.update([{ kind: 'permanent', error: 'HTTP 400' }], 3), { to: 'unblocked' });
    assert.equal(b.current, undefined);
    assert.equal(b.update([{ kind: 'delivered' }], 4), undefined, 'no second unblock');
  });
});
