import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import { resolveStreamToken } from '../../../src/stream/index.ts';

describe('stream token source', () => {
  it('env wins over the file; the file gives its first line; unreadable, empty or none is a ConfigError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-stream-token-'));
    try {
      const file = join(dir, 'token');
      writeFileSync(file, '  from-file  \nsecond line\n');
      assert.equal(resolveStreamToken('from-env', file), 'from-env');
      assert.equal(resolveStreamToken(undefined, file), 'from-file');
      assert.equal(resolveStreamToken('  ', file), 'from-file');
      writeFileSync(file, '\n');
      assert.throws(
        () => resolveStreamToken(undefined, file),
        (e) => e instanceof ConfigError && /empty/.test(e.message),
      );
      assert.throws(
        () => resolveStreamToken(undefined, join(dir, 'absent')),
        (e) => e instanceof ConfigError && e.field === 'stream.tokenFile',
      );
      assert.throws(() => resolveStreamToken(undefined, undefined), ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
