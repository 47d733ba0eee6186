import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickEvictionVictim } from '../../../src/emulator/channels.ts';
import type { ChannelRecord, SocketRecord } from '../../../src/emulator/context.ts';
import { makeEventBody } from '../../../src/emulator/event-bodies.ts';
import { parseFaultSpec } from '../../../src/emulator/fault-spec.ts';
import { resolveOptions } from '../../../src/emulator/options.ts';

/** The message of a rejected spec, or '' when it was accepted. */
const errorOf = (result: unknown): string => (typeof result === 'string' ? result : '');

function channel(id: string, lastUsedAt: number, connected: boolean): ChannelRecord {
  return {
    id,
    clientId: 'demo',
    ownerTokenId: 't1',
    ownerTokenExpiresAt: 1e12,
    createdAt: 0,
    expiresAt: 1e12,
    lastUsedAt,
    topics: new Map(),
    delivery: new Set(),
    socket: connected ? ({} as SocketRecord) : undefined,
    sent: 0,
    dropped: 0,
    expiryTimer: undefined,
    warnTimer: undefined,
  };
}

describe('emulator eviction order', () => {
  it('prefers the least recently used unconnected channel', () => {
    const owned = [channel('a', 1, true), channel('b', 5, false), channel('c', 3, false)];
    assert.equal(pickEvictionVictim(owned)?.id, 'c');
  });

  it('falls back to the least recently used connected channel', () => {
    const owned = [channel('a', 7, true), channel('b', 2, true)];
    assert.equal(pickEvictionVictim(owned)?.id, 'b');
    assert.equal(pickEvictionVictim([]), undefined);
  });
});

describe('emulator fault specs', () => {
  it('accepts known kinds and rejects unknown kinds and wrong field types', () => {
    assert.deepEqual(parseFaultSpec({ kind: 'rate-limit', count: 2, retryAfterS: 3 }), {
      kind: 'rate-limit',
      count: 2,
      retryAfterS: 3,
    });
    assert.match(errorOf(parseFaultSpec({ kind: 'nope' })), /Unknown fault kind "nope"/);
    assert.match(errorOf(parseFaultSpec({ kind: 'close', code: 'x' })), /"code" must be a non-negative number/);
    assert.match(errorOf(parseFaultSpec({ kind: 'deny-topic' })), /needs a "pattern"/);
    assert.match(errorOf(parseFaultSpec({ kind: 'server-error', target: 'moon' })), /"target"/);
    assert.equal(typeof parseFaultSpec([]), 'string');
  });
});

describe('emulator options and bodies', () => {
  it('fills the documented defaults', () => {
    const options = resolveOptions();
    assert.equal(options.heartbeatMs, 30_000);
    assert.equal(options.socketClosingLeadMs, 60_000);
    assert.equal(options.channelTtlMs, 86_400_000);
    assert.equal(options.tokenTtlS, 86_399);
    assert.equal(options.rateLimitPerMinute, 300);
    assert.equal(options.maxChannelsPerClient, 20);
    assert.equal(options.maxTopicsPerChannel, 1000);
    assert.equal(options.badChannelMode, 'result-404');
    assert.deepEqual(options.clients, [{ id: 'demo', secret: 'demo' }]);
  });

  it('refuses options that cannot work', () => {
    assert.throws(() => resolveOptions({ heartbeatMs: 0 }), /heartbeatMs/);
    assert.throws(() => resolveOptions({ channelTtlMs: -1 }), /channelTtlMs/);
    assert.throws(() => resolveOptions({ maxTopicsPerChannel: 0.5 }), /maxTopicsPerChannel/);
    assert.throws(() => resolveOptions({ takeoverCloseCode: 1006 }), /takeoverCloseCode/);
    assert.equal(resolveOptions({ takeoverCloseCode: 4001 }).takeoverCloseCode, 4001);
  });

  it('builds family-specific bodies that carry the entity id', () => {
    const at = Date.UTC(2026, 0, 1);
    const presence = makeEventBody('v2.users.u1.presence', at) as { id: string; modifiedDate: string };
    assert.equal(presence.id, 'u1');
    assert.equal(presence.modifiedDate, '2026-01-01T00:00:00.000Z');
    const routing = makeEventBody('v2.users.u1.routingStatus', at) as { routingStatus: { userId: string } };
    assert.equal(routing.routingStatus.userId, 'u1');
    const queue = makeEventBody('v2.routing.queues.q1.conversations', at) as {
      participants: Array<{ queueId?: string }>;
    };
    assert.equal(queue.participants[1]?.queueId, 'q1');
    const observation = makeEventBody('v2.analytics.queues.q1.observations', at) as { group: { queueId: string } };
    assert.equal(observation.group.queueId, 'q1');
  });
});
