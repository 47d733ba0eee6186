import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/logging/logger.ts';
import { RetryWarnings, httpStatusOf } from '../../../src/logging/retry-warnings.ts';
import { ManualClock } from '../../../src/testing/index.ts';

function setup(everyMs = 30_000) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
    secrets: [],
  });
  const clock = new ManualClock();
  return { lines, clock, warnings: new RetryWarnings(logger, clock, everyMs) };
}

const failure = (n: number) => ({
  event: 'delivery.retry',
  fields: { sink: 'webhook', status: 503 },
  message: `attempt ${n} failed`,
  count: 2,
});

describe('RetryWarnings', () => {
  it('warns at the first failure, then at most once per interval with the failures in between', () => {
    const { lines, clock, warnings } = setup(30_000);
    warnings.failed('sink:webhook', failure(1));
    for (let n = 2; n <= 10; n += 1) {
      clock.advance(2_000);
      warnings.failed('sink:webhook', failure(n));
    }
    assert.equal(lines.length, 1, 'one line for 10 failures within 18 s');
    assert.equal(lines[0]?.level, 40, 'warn');
    assert.equal(lines[0]?.msg, 'attempt 1 failed');
    assert.equal(lines[0]?.status, 503);

    clock.advance(12_000); // 30 s after the first line
    warnings.failed('sink:webhook', failure(11));
    assert.equal(lines.length, 2);
    assert.equal(lines[1]?.failuresSinceLastWarning, 20, '9 unreported batches of 2, plus this one');
    assert.equal(lines[1]?.failingForMs, 30_000);
  });

  it('keeps keys apart and reports recovery once, at info, with the number of failures', () => {
    const { lines, clock, warnings } = setup();
    warnings.failed('sink:a', failure(1));
    warnings.failed('sink:b', failure(1));
    assert.equal(lines.length, 2, 'each sink has its own first warning');
    clock.advance(5_000);
    warnings.recovered('sink:a', 'delivery.recovered', { sink: 'a' }, 'sink a delivers again');
    warnings.recovered('sink:a', 'delivery.recovered', { sink: 'a' }, 'sink a delivers again');
    assert.equal(lines.length, 3, 'recovery is reported once');
    assert.equal(lines[2]?.level, 30);
    assert.equal(lines[2]?.msg, 'sink a delivers again after 2 failed attempt(s)');
    assert.equal(lines[2]?.failingForMs, 5_000);
    warnings.failed('sink:a', failure(2));
    assert.equal(lines.length, 4, 'a new failure after recovery warns at once');
  });

  it('reads the HTTP status from sink and token errors', () => {
    assert.equal(httpStatusOf('webhook: HTTP 503 Service Unavailable'), 503);
    assert.equal(
      httpStatusOf('token request to https://login.x/oauth/token failed with 502 (HTTP 502); will retry'),
      502,
    );
    assert.equal(httpStatusOf('webhook: connection refused (ECONNREFUSED)'), undefined);
  });
});
