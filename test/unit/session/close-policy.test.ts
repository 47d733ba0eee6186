import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, AuthError, NetworkError, TimeoutError, TopicError } from '../../../src/core/errors.ts';
import { classifyClose, classifyControl, classifyFailure } from '../../../src/session/close-policy.ts';
import type { ControlFrame } from '../../../src/session/events.ts';

describe('classifyClose', () => {
  const rows: Array<[number, string, number | undefined, string]> = [
    [1000, 'normal', undefined, 'reconnect'],
    [1001, 'idle timeout', undefined, 'reconnect'],
    [1006, '', undefined, 'reconnect'],
    [4000, 'anything', undefined, 'reconnect'],
    [1006, 'upgrade refused', 404, 'newChannel'],
    [1006, 'upgrade refused', 401, 'newChannel'],
    [1006, 'upgrade refused', 503, 'reconnect'],
  ];
  for (const [code, reason, status, expected] of rows) {
    it(`${code} ${reason} ${status ?? ''} → ${expected}`, () => {
      assert.equal(classifyClose(code, reason, status), expected);
    });
  }
});

describe('classifyControl', () => {
  const rows: Array<[ControlFrame, string]> = [
    [{ kind: 'heartbeat' }, 'ignore'],
    [{ kind: 'pong' }, 'ignore'],
    [{ kind: 'socketClosing', body: {} }, 'rollover'],
    [{ kind: 'tokenRevoked', topic: 'v2.system.token_revoked.x', body: {} }, 'reauth'],
    [{ kind: 'noLongerSubscribed', topic: 'v2.system.no_longer_subscribed.x', body: {} }, 'newChannel'],
    [{ kind: 'system', topic: 'v2.system.x.y', body: {} }, 'ignore'],
    [{ kind: 'result', frame: { result: '404' } }, 'newChannel'],
    [{ kind: 'result', frame: { result: '200', status: 'subscribed' } }, 'ignore'],
  ];
  for (const [frame, expected] of rows) {
    it(`${frame.kind} ${frame.kind === 'result' ? frame.frame.result : ''} → ${expected}`, () => {
      assert.equal(classifyControl(frame), expected);
    });
  }
});

describe('classifyFailure', () => {
  const rows: Array<[string, Parameters<typeof classifyFailure>[0], string]> = [
    ['invalid client', new AuthError('bad secret'), 'fatal'],
    ['token endpoint down', new AuthError('503', { retryable: true }), 'retry'],
    ['429', new ApiError(429, 'slow down', 'too.many.requests', { retryAfterMs: 1000 }), 'retry'],
    ['503', new ApiError(503, 'down', 'service.unavailable'), 'retry'],
    ['404 channel', new ApiError(404, 'gone', 'not.found'), 'newChannel'],
    ['403 topic', new ApiError(403, 'forbidden', 'notification.unauthorized.topic'), 'fatal'],
    ['400 too many topics', new ApiError(400, 'too many', 'bad.request'), 'fatal'],
    ['topic error', new TopicError('too many topics'), 'fatal'],
    ['network', new NetworkError('reset'), 'retry'],
    ['timeout', new TimeoutError('slow'), 'retry'],
  ];
  for (const [name, error, expected] of rows) {
    it(`${name} → ${expected}`, () => assert.equal(classifyFailure(error), expected));
  }
});
