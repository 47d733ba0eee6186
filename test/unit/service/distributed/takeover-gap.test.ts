import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { takeoverGap } from '../../../../src/service/distributed/takeover-gap.ts';

describe('takeoverGap', () => {
  const watch = {
    shard: 'shard-2',
    topics: ['a', 'b'],
    takeover: { previousOwner: 'w9', lastRenewedAt: 10_000 },
  };

  it('spans the previous holder’s last renewal to the new socket’s open, for all the shard’s topics', () => {
    assert.deepEqual(takeoverGap(watch, 13_500), {
      shardId: 'shard-2',
      startAt: 10_000,
      endAt: 13_500,
      channelId: undefined,
      topics: ['a', 'b'],
      reason: 'takeover: worker w9 stopped renewing its lease',
    });
  });

  it('never ends before it starts when the local clock lags the database’s', () => {
    assert.equal(takeoverGap(watch, 9_000).endAt, 10_000);
  });
});
