import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { InfraMissingError, SKIP_INFRA_ENV, skipUnlessInstalled } from '../../helpers/infra.ts';

// The infra helpers decide whether integration tests fail or skip when a server binary is missing; CI relies on
// "fail unless explicitly skipped".
describe('skipUnlessInstalled', () => {
  const saved = process.env[SKIP_INFRA_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[SKIP_INFRA_ENV];
    else process.env[SKIP_INFRA_ENV] = saved;
  });

  it('never skips when the binary is installed', () => {
    process.env[SKIP_INFRA_ENV] = '1';
    assert.equal(skipUnlessInstalled(true, 'nats-server'), false);
  });

  it('does not skip a missing binary by default, so the test fails loudly', () => {
    delete process.env[SKIP_INFRA_ENV];
    assert.equal(skipUnlessInstalled(false, 'nats-server'), false);
  });

  it('skips a missing binary only when asked to', () => {
    process.env[SKIP_INFRA_ENV] = '1';
    assert.match(String(skipUnlessInstalled(false, 'nats-server')), /nats-server not installed/);
  });

  it('names the fix in the failure message', () => {
    assert.match(
      new InfraMissingError('PostgreSQL server', 'no pg_ctl').message,
      /install-infra\.sh.*GENESYS_RELAY_SKIP_INFRA=1/s,
    );
  });
});
