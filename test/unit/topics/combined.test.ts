import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { combineTopics, expandTopic, expandTopics } from '../../../src/topics/combined.ts';
import { parseTopic } from '../../../src/topics/topic-name.ts';

const uid = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe('combined topics', () => {
  it('expand into the names events arrive under', () => {
    assert.deepEqual(expandTopic(`v2.users.${uid(1)}?presence&conversations.calls`), [
      `v2.users.${uid(1)}.presence`,
      `v2.users.${uid(1)}.conversations.calls`,
    ]);
    assert.deepEqual(expandTopic('v2.quality.evaluations'), ['v2.quality.evaluations']);
    assert.deepEqual(expandTopics([`v2.users.${uid(1)}?presence`, `v2.users.${uid(1)}.Presence`]), [
      `v2.users.${uid(1)}.presence`,
    ]);
  });

  it('combine topics by entity prefix and keep id-less topics as they are', () => {
    const input = [
      `v2.users.${uid(1)}.presence`,
      'v2.quality.evaluations',
      `v2.users.${uid(2)}.presence`,
      `v2.users.${uid(1)}.routingStatus`,
    ];
    assert.deepEqual(combineTopics(input), [
      `v2.users.${uid(1)}?presence&routingStatus`,
      'v2.quality.evaluations',
      `v2.users.${uid(2)}.presence`,
    ]);
  });

  it('split long groups so every combined name stays under 200 characters and nothing is lost', () => {
    const suffixes = Array.from({ length: 40 }, (_, i) => `someLongSuffixName${i}`);
    const input = suffixes.map((s) => `v2.users.${uid(7)}.${s}`);
    const combined = combineTopics(input);
    assert.ok(combined.length > 1 && combined.length < input.length, `got ${combined.length} entries`);
    for (const name of combined) {
      assert.ok(name.length < 200, name);
      parseTopic(name);
    }
    assert.deepEqual(expandTopics(combined), input);
  });
});
