import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors as natsErrors, RequestError } from '@nats-io/transport-node';
import { JetStreamApiError, jserrors } from '@nats-io/jetstream/internal';
import { classifyNatsError } from '../../../src/sinks/nats/classify.ts';
import { sanitizeToken, subjectForTopic, validateSubjectPrefix } from '../../../src/sinks/nats/subject.ts';
import { ConfigError } from '../../../src/core/errors.ts';

describe('subjectForTopic', () => {
  it('maps a Genesys topic under the prefix, one token per topic segment', () => {
    assert.equal(subjectForTopic('genesys', 'v2.users.8f1c-42.presence'), 'genesys.v2.users.8f1c-42.presence');
    assert.equal(
      subjectForTopic('acme.genesys', 'v2.routing.queues.q1.conversations'),
      'acme.genesys.v2.routing.queues.q1.conversations',
    );
  });

  it('replaces characters NATS subjects cannot carry and fills empty tokens', () => {
    assert.equal(subjectForTopic('g', 'v2.users.a b*c>.x'), 'g.v2.users.a_b_c_.x');
    assert.equal(subjectForTopic('g', 'v2..$sys'), 'g.v2._._sys');
    assert.equal(sanitizeToken(''), '_');
    assert.equal(sanitizeToken('Ünïcode\t'), '_n_code_');
  });

  it('lower-cases, because Genesys topic names compare case-insensitively', () => {
    assert.equal(subjectForTopic('g', 'v2.Users.ABC.Presence'), 'g.v2.users.abc.presence');
  });

  it('validates the prefix', () => {
    assert.equal(validateSubjectPrefix('acme.genesys'), 'acme.genesys');
    for (const bad of ['', 'a..b', 'genesys.>', 'a b', 'x.*']) {
      assert.throws(() => validateSubjectPrefix(bad), ConfigError, bad);
    }
  });
});

describe('classifyNatsError', () => {
  const apiError = (code: number) =>
    new JetStreamApiError({ code, err_code: 10054, description: 'maximum message size exceeded' });

  const cases: [string, unknown, 'retryable' | 'permanent'][] = [
    ['timeout waiting for the PubAck', new natsErrors.TimeoutError(), 'retryable'],
    ['no stream listening on the subject', new jserrors.JetStreamNotEnabled('jetstream is not enabled'), 'retryable'],
    ['connection refused', new natsErrors.ConnectionError('CONNECTION_REFUSED'), 'retryable'],
    ['connection closed', new natsErrors.ClosedConnectionError(), 'retryable'],
    ['connection draining', new natsErrors.DrainingConnectionError(), 'retryable'],
    [
      'request failed with no responders',
      new RequestError('no responders', { cause: new natsErrors.NoRespondersError('x') }),
      'retryable',
    ],
    [
      'publish permission denied',
      new natsErrors.PermissionViolationError('Permissions Violation', 'publish', 'genesys.x'),
      'permanent',
    ],
    ['invalid subject', new natsErrors.InvalidSubjectError('a b'), 'permanent'],
    ['payload too large', natsErrors.InvalidArgumentError.format('payload', 'max_payload size exceeded'), 'permanent'],
    ['JetStream API 400', apiError(400), 'permanent'],
    ['JetStream API 503', apiError(503), 'retryable'],
    ['something unknown', new Error('surprise'), 'retryable'],
    ['a non-error value', 'weird', 'retryable'],
  ];
  for (const [what, err, kind] of cases) {
    it(`${what} → ${kind}`, () => {
      const outcome = classifyNatsError(err);
      assert.equal(outcome.kind, kind);
      assert.ok('error' in outcome && outcome.error.startsWith('nats: '));
    });
  }

  it('credential problems block the sink (events stay queued) and say what to check', () => {
    const outcome = classifyNatsError(new natsErrors.AuthorizationError('Authorization Violation'));
    assert.equal(outcome.kind, 'blocked');
    assert.match(
      outcome.kind === 'blocked' ? outcome.error : '',
      /^nats: Authorization Violation \(authentication failed: check .*sinks\.nats\.token/,
    );
    assert.equal(
      classifyNatsError(new natsErrors.UserAuthenticationExpiredError('User Authentication Expired')).kind,
      'blocked',
    );
    const viaRequest = new RequestError('x', { cause: new natsErrors.AuthorizationError('Authorization Violation') });
    assert.equal(classifyNatsError(viaRequest).kind, 'blocked');
  });
});
