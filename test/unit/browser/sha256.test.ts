import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { eventKey } from '../../../src/envelope/envelope.ts';
import { nativeSha256Hex, pureSha256Hex, sha256Hex } from '../../../src/envelope/sha256.ts';

const SAMPLES = [
  '',
  'abc',
  'v2.users.6c3a\u0000corr-1\u0000{"id":"u1","presenceDefinition":{"systemPresence":"Away"}}',
  'Zoë naïve 東京 🚀 \u2028 \ud83d\ude00',
  'x'.repeat(1_000_003),
];

describe('relay.key digest (browser and Node give the same key)', () => {
  it('the pure-JavaScript sha256 (browsers) equals node:crypto on ASCII, multi-byte UTF-8 and a 1 MB input', () => {
    for (const text of SAMPLES) {
      assert.equal(pureSha256Hex(text), createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  });

  it('on Node the native digest is the one used, and it equals the pure one', () => {
    const native = nativeSha256Hex();
    assert.ok(native, 'process.getBuiltinModule("crypto") is available on Node >= 20.16');
    for (const text of SAMPLES) assert.equal(native(text), pureSha256Hex(text));
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('eventKey is the first 32 hex of sha256(topic lower-cased, CorrelationId, canonical body) on both digests', () => {
    const body = { id: 'u1', presenceDefinition: { systemPresence: 'Away' }, note: 'café ☕' };
    const identity = `v2.users.u1.presence\u0000c-1\u0000${JSON.stringify(body)}`;
    const key = eventKey('V2.Users.U1.Presence', 'c-1', body);
    assert.equal(key, pureSha256Hex(identity).slice(0, 32));
    assert.equal(key.length, 32);
  });
});
