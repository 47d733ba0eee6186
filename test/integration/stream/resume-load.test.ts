import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runResumeScenario } from './resume-scenario.ts';

describe('browser stream: resume under load', () => {
  // The figure is 10 s away at 1,000/s (bench/stream.ts); scaled down here to 2 s away at 1,000/s.
  it('a client away for 2 s while 1,000 events/s are committed resumes with 0 missing and 0 repeated', async () => {
    const r = await runResumeScenario({ ratePerSecond: 1_000, beforeMs: 1_000, offMs: 2_000, afterMs: 500 });
    assert.ok(r.publishedWhileAway > 0, 'events were committed while the client was away');
    assert.equal(r.missing, 0);
    assert.equal(r.repeated, 0);
    assert.equal(r.received, r.published);
  });
});
