import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TopicError } from '../../../src/core/errors.ts';
import { topics } from '../../../src/topics/builders.ts';
import {
  isMetadataTopic,
  isSystemTopic,
  parseSubscribableTopic,
  parseTopic,
  sameTopic,
} from '../../../src/topics/topic-name.ts';
import { TopicSet } from '../../../src/topics/topic-set.ts';

const USER = '8f1b1c1e-6a0b-4d0e-9c1a-2b3c4d5e6f70';

describe('parseTopic', () => {
  it('accepts simple and combined topics and reports their parts', () => {
    const simple = parseTopic(`v2.users.${USER}.routingStatus`);
    assert.equal(simple.kind, 'simple');
    assert.equal(simple.key, `v2.users.${USER}.routingstatus`);
    const combined = parseTopic(`v2.users.${USER}?presence&conversations.calls`);
    assert.equal(combined.kind, 'combined');
    assert.equal(combined.prefix, `v2.users.${USER}`);
    assert.deepEqual(combined.suffixes, ['presence', 'conversations.calls']);
  });

  it('rejects garbage with a TopicError naming the topic', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty name/],
      ['users.x.presence', /"users\.x\.presence" must start with "v2\."/],
      ['v2.users..presence', /invalid segment ""/],
      ['v2.users.{id}.presence', /placeholder or wildcard/],
      ['v2.users.*.presence', /placeholder or wildcard/],
      ['v2.users.a b.presence', /invalid segment "a b"/],
      [`v2.users.${USER}?`, /empty combined suffix/],
      [`v2.users.${USER}?presence&&routingStatus`, /empty combined suffix/],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => parseTopic(input),
        (err: unknown) => err instanceof TopicError && message.test(err.message),
        input,
      );
    }
  });

  it('refuses combined topics of 200 characters or more', () => {
    const suffixes = Array.from({ length: 30 }, (_, i) => `suffix${i}`).join('&');
    assert.throws(() => parseTopic(`v2.users.${USER}?${suffixes}`), /fewer than 200/);
  });

  it('classifies system and metadata topics, which are never subscribed', () => {
    assert.equal(parseTopic('v2.system.socket_closing').kind, 'system');
    assert.equal(parseTopic('channel.metadata').kind, 'metadata');
    assert.ok(isSystemTopic('V2.System.token_revoked.abc'));
    assert.ok(isMetadataTopic('channel.metadata'));
    assert.throws(() => parseSubscribableTopic('v2.system.socket_closing'), /delivered automatically/);
    assert.throws(() => parseSubscribableTopic('channel.metadata'), /delivered automatically/);
  });

  it('compares case-insensitively', () => {
    assert.ok(sameTopic(`v2.users.${USER}.routingStatus`, `v2.users.${USER}.routingstatus`));
    const set = new TopicSet([`v2.users.${USER}.routingStatus`]);
    assert.equal(set.add(`v2.USERS.${USER}.ROUTINGSTATUS`), false);
    assert.deepEqual(set.values(), [`v2.users.${USER}.routingStatus`]);
    assert.ok(set.delete(`v2.users.${USER}.routingstatus`));
    assert.equal(set.size, 0);
  });
});

describe('topic builders', () => {
  it('build the documented names', () => {
    assert.equal(topics.userPresence(USER), `v2.users.${USER}.presence`);
    assert.equal(topics.userRoutingStatus(USER), `v2.users.${USER}.routingStatus`);
    assert.equal(topics.userConversations(USER), `v2.users.${USER}.conversations`);
    assert.equal(topics.queueConversations('q1'), 'v2.routing.queues.q1.conversations');
    assert.equal(topics.queueObservations('q1'), 'v2.analytics.queues.q1.observations');
    assert.equal(topics.conversation('c1'), 'v2.conversations.c1');
    assert.equal(topics.conversation('c1', 'transcription'), 'v2.conversations.c1.transcription');
    assert.equal(topics.conversationDetail('c1', 'acd.end'), 'v2.detail.events.conversation.c1.acd.end');
    assert.equal(topics.combinedUser(USER, ['presence', 'routingStatus']), `v2.users.${USER}?presence&routingStatus`);
    assert.equal(topics.combinedUser(USER, ['presence']), `v2.users.${USER}.presence`);
  });

  it('refuse ids that would break the topic grammar', () => {
    assert.throws(
      () => topics.userPresence('a.b'),
      (err: unknown) => err instanceof TopicError && /user id "a\.b"/.test(err.message),
    );
    assert.throws(() => topics.queueConversations(''), TopicError);
    assert.throws(() => topics.combinedUser(USER, []), /at least one suffix/);
  });
});
