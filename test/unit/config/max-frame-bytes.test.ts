import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { clientTimings } from '../../../src/service/relay-options.ts';

describe('session.maxFrameBytes (--max-frame-bytes)', () => {
  const file = (session: Record<string, unknown>) => ({ readFile: () => JSON.stringify({ session }), env: {} });

  it('unset: the client default (16 MiB) applies', () => {
    const config = loadConfig({}, { env: {} });
    assert.equal(config.session.maxFrameBytes, undefined);
    assert.equal(clientTimings(config.session).maxFrameBytes, undefined);
  });

  it('from the file, and the flag overrides the file; the client receives it', () => {
    assert.equal(loadConfig({ configFile: 'c.json' }, file({ maxFrameBytes: 2048 })).session.maxFrameBytes, 2048);
    const config = loadConfig({ configFile: 'c.json', maxFrameBytes: 4096 }, file({ maxFrameBytes: 2048 }));
    assert.equal(config.session.maxFrameBytes, 4096);
    assert.equal(clientTimings(config.session).maxFrameBytes, 4096);
  });

  it('rejects zero and fractions', () => {
    assert.throws(() => loadConfig({ configFile: 'c.json' }, file({ maxFrameBytes: 0 })), ConfigError);
    assert.throws(() => loadConfig({ maxFrameBytes: 1.5 }, { env: {} }), ConfigError);
  });
});
