import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8ByteLength } from '../../../src/envelope/parse-frame.ts';

describe('utf8ByteLength (the frame size check without Buffer, as in a browser)', () => {
  it('counts as Buffer.byteLength does: 1-4 byte characters, surrogate pairs, lone surrogates', () => {
    const samples = [
      '',
      'abc',
      'é',
      '€',
      '東京',
      '🚀',
      'a🚀b',
      '\ud83d',
      '\ude00x',
      '\ud83d\ud83d\ude00',
      'x'.repeat(70_000),
    ];
    for (const text of samples)
      assert.equal(utf8ByteLength(text), Buffer.byteLength(text, 'utf8'), JSON.stringify(text.slice(0, 9)));
  });
});
