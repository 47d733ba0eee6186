import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { signWebhookBody, verifyWebhookSignature } from '../../../src/sinks/webhook/signature.ts';

const SECRET = 'whsec-test-123';
const BODY = '{"topicName":"v2.users.x.presence","eventBody":{"a":1}}';
const NOW_S = 1_795_000_000;

describe('webhook signature', () => {
  it('is hex HMAC-SHA256 over "<timestamp>.<body>"', () => {
    const expected = createHmac('sha256', SECRET).update(`${NOW_S}.${BODY}`).digest('hex');
    assert.equal(signWebhookBody(SECRET, NOW_S, BODY), `sha256=${expected}`);
  });

  it('verifies its own signature (string and Buffer bodies)', () => {
    const header = signWebhookBody(SECRET, NOW_S, BODY);
    assert.equal(verifyWebhookSignature(SECRET, String(NOW_S), BODY, header, { nowS: NOW_S }), true);
    assert.equal(verifyWebhookSignature(SECRET, String(NOW_S), Buffer.from(BODY), header, { nowS: NOW_S + 10 }), true);
  });

  it('rejects a tampered body, another secret or a changed timestamp', () => {
    const header = signWebhookBody(SECRET, NOW_S, BODY);
    const opts = { nowS: NOW_S };
    assert.equal(verifyWebhookSignature(SECRET, String(NOW_S), BODY.replace('1', '2'), header, opts), false);
    assert.equal(verifyWebhookSignature('other', String(NOW_S), BODY, header, opts), false);
    assert.equal(verifyWebhookSignature(SECRET, String(NOW_S + 1), BODY, header, opts), false);
  });

  it('rejects stale and future timestamps beyond the tolerance', () => {
    const header = signWebhookBody(SECRET, NOW_S, BODY);
    assert.equal(verifyWebhookSignature(SECRET, String(NOW_S), BODY, header, { nowS: NOW_S + 301 }), false);
    assert.equal(verifyWebhookSignature(SECRET, String(NOW_S), BODY, header, { nowS: NOW_S - 301 }), false);
    assert.equal(
      verifyWebhookSignature(SECRET, String(NOW_S), BODY, header, { nowS: NOW_S + 60, toleranceS: 30 }),
      false,
    );
  });

  it('rejects malformed input without throwing', () => {
    const header = signWebhookBody(SECRET, NOW_S, BODY);
    const opts = { nowS: NOW_S };
    assert.equal(verifyWebhookSignature(SECRET, undefined, BODY, header, opts), false);
    assert.equal(verifyWebhookSignature(SECRET, 'soon', BODY, header, opts), false);
    assert.equal(verifyWebhookSignature(SECRET, String(NOW_S), BODY, undefined, opts), false);
    assert.equal(verifyWebhookSignature(SECRET, String(NOW_S), BODY, header.replace('sha256=', 'sha1='), opts), false);
    assert.equal(verifyWebhookSignature(SECRET, String(NOW_S), BODY, 'sha256=abcd', opts), false);
  });
});
