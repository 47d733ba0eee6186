import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventFrame, eventFrameFromJson } from '../../../src/emulator/frames.ts';

describe('emulator event frames', () => {
  it('a frame built from the serialised body is the same text as one serialised whole', () => {
    const topic = 'v2.users.u-"1".presence';
    const body = { id: 'u', text: 'quote " backslash \\ unicode é \u2028', n: [1, 2.5, null], nested: { a: true } };
    const built = eventFrameFromJson(JSON.stringify(topic), JSON.stringify(body), 'c-"1"', 42);
    assert.equal(built, eventFrame(topic, body, 'c-"1"', 42));
  });
});
