import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTopic, permissionFor, TopicDenyList } from '../../../src/emulator/topics.ts';

describe('emulator topics', () => {
  it('accepts plain topics as themselves', () => {
    assert.deepEqual(parseTopic('v2.users.8f1c.routingStatus'), {
      ok: true,
      topic: { id: 'v2.users.8f1c.routingStatus', expanded: ['v2.users.8f1c.routingStatus'], combined: false },
    });
    assert.equal(parseTopic('v2.quality.evaluations').ok, true);
  });

  it('expands combined topics, suffixes may contain dots', () => {
    const parsed = parseTopic('v2.users.u1?presence&conversations.calls&presence');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.topic.expanded, ['v2.users.u1.presence', 'v2.users.u1.conversations.calls']);
    assert.equal(parsed.topic.combined, true);
  });

  it('rejects combined topics of 200 characters or more', () => {
    const prefix = 'v2.users.';
    const id = `${prefix}${'a'.repeat(200 - prefix.length - '?presence'.length)}?presence`;
    assert.equal(id.length, 200);
    assert.equal(parseTopic(id).ok, false);
    assert.equal(parseTopic(id.replace('aa', 'a')).ok, true);
  });

  it('rejects malformed, wildcard and automatic topics', () => {
    for (const bad of [
      '',
      42,
      'users.x.presence',
      'v2.users',
      'v2.users..presence',
      'v2.users.{id}.presence',
      'v2.users.x?',
      'v2.users.x?presence&',
      'channel.metadata',
      'v2.system.socket_closing',
      'v2.users.x.presence ',
    ]) {
      assert.equal(parseTopic(bad).ok, false, String(bad));
    }
  });

  it('deny lists match exact names and regular expressions', () => {
    const deny = new TopicDenyList(['v2.users.boss.presence', '^v2\\.routing\\.', '[unclosed']);
    assert.equal(deny.denies('v2.users.boss.presence'), true);
    assert.equal(deny.denies('v2.routing.queues.q.conversations'), true);
    assert.equal(deny.denies('v2.users.other.presence'), false);
    assert.equal(deny.denies('[unclosed'), true, 'an invalid regex still matches exactly');
  });

  it('names a plausible missing permission per family', () => {
    assert.equal(permissionFor('v2.routing.queues.q.conversations'), 'routing:queue:view');
    assert.equal(permissionFor('v2.quality.evaluations'), 'quality:evaluations:view');
  });
});
