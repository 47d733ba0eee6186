import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, requireCredentials } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { clientTimings, deliveryPolicy, livenessWindowMsOf, watchdogMsOf } from '../../../src/service/relay-options.ts';
import { createSinks } from '../../../src/service/sink-factory.ts';
import { systemClock } from '../../../src/core/clock.ts';

function config(yaml: string): ReturnType<typeof requireCredentials> {
  return requireCredentials(
    loadConfig(
      { configFile: 'c' },
      { env: { GENESYS_CLIENT_ID: 'a', GENESYS_CLIENT_SECRET: 'bbbb' }, readFile: () => yaml },
    ),
  );
}

describe('relay options', () => {
  it('passes only the session settings that were set, so the client keeps its own defaults', () => {
    const timings = clientTimings(config('session: { heartbeatMs: 2s, connectTimeoutMs: 5s }').session);
    assert.equal(timings.heartbeatMs, 2_000);
    assert.ok(!('watchdogMs' in timings));
    assert.deepEqual(timings.session, { connectTimeoutMs: 5_000 });
    assert.equal(timings.ignoreErrors, true);
  });

  it('derives the watchdog and the readiness window from the heartbeat', () => {
    const c = config('session: { heartbeatMs: 1s }');
    assert.equal(watchdogMsOf(c.session), 2_000);
    assert.equal(livenessWindowMsOf(c), 3_000);
    const explicit = config('session: { heartbeatMs: 1s, watchdogMs: 5s }\nmetrics: { livenessWindowMs: 1m }');
    assert.equal(watchdogMsOf(explicit.session), 5_000);
    assert.equal(livenessWindowMsOf(explicit), 60_000);
  });

  it('maps the outbox retry settings to the delivery policy', () => {
    const outbox = config('outbox: { maxAttempts: 3, retryBaseMs: 2s, retryMaxMs: 1m, blockedRetryMs: 5m }').outbox;
    assert.deepEqual(deliveryPolicy(outbox), {
      maxAttempts: 3,
      backoff: { baseMs: 2_000, maxMs: 60_000, firstImmediate: false },
      blockedRetryMs: 300_000,
    });
    assert.equal(deliveryPolicy(config('outbox: { maxAttempts: 3 }').outbox).blockedRetryMs, 60_000);
  });
});

describe('sink factory', () => {
  it('builds each configured sink under its name', async () => {
    const c = config('sinks: [{ type: ndjson, path: "-" }, { type: webhook, url: "http://127.0.0.1:9/x" }]');
    const sinks = createSinks(c.sinks, { clock: systemClock });
    assert.deepEqual(
      sinks.map((s) => s.name),
      ['ndjson', 'webhook'],
    );
    await Promise.all(sinks.map((s) => s.close()));
  });

  it("re-labels a sink's own validation error with the config path", () => {
    const c = config(
      'sinks: [{ type: ndjson }, { type: servicenow, instanceUrl: "https://x.example/path", auth: { kind: basic, username: u, password: p } }]',
    );
    assert.throws(
      () => createSinks(c.sinks, { clock: systemClock }),
      (err: unknown) => err instanceof ConfigError && err.field === 'sinks[1].instanceUrl',
    );
  });
});
