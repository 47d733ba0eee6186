import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { audit, createLogger } from '../../../src/logging/logger.ts';
import { createScrubber } from '../../../src/logging/scrub.ts';

const SECRET = 'hunter2-very-secret';

function capture(): { lines: string[]; destination: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('logger', () => {
  it('redacts secret-bearing keys at any depth, including a whole loaded config', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination });
    const yaml = `genesys: { clientId: id, clientSecret: ${SECRET} }\nsinks: [{ type: webhook, url: "http://h", secret: ${SECRET}, headers: { x-api-key: ${SECRET} } }]`;
    const config = loadConfig({ configFile: 'c' }, { env: {}, readFile: () => yaml });
    logger.info({ config }, 'loaded');
    logger.info(
      { req: { headers: { authorization: `Bearer ${SECRET}` } }, access_token: SECRET, password: SECRET },
      'call',
    );
    const text = lines.join('');
    assert.ok(!text.includes(SECRET), text);
    assert.match(text, /\[redacted\]/);
    assert.match(text, /"clientId":"id"/);
  });

  it('scrubs known secret values from free text and errors', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination, secrets: [SECRET] });
    logger.error({ err: new Error(`server echoed "${SECRET}"`) }, `failed with ${SECRET}`);
    const text = lines.join('');
    assert.ok(!text.includes(SECRET), text);
    assert.match(text, /failed with \[redacted\]/);
  });

  it('writes audit lines marked audit:true', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination });
    audit(logger, 'gap', { gapMs: 1200 });
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    assert.equal(line.audit, true);
    assert.equal(line.event, 'gap');
    assert.equal(line.level, 40);
  });
});

describe('scrubber', () => {
  it('replaces raw and JSON-escaped secrets, ignores very short ones', () => {
    const scrub = createScrubber(['a"b\\cdef', 'x', undefined]);
    assert.equal(scrub('1 a"b\\cdef 2'), '1 [redacted] 2');
    assert.equal(scrub(JSON.stringify({ v: 'a"b\\cdef' })), '{"v":"[redacted]"}');
    assert.equal(scrub('x marks'), 'x marks');
  });
});
