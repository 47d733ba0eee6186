import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';

/**
 * The browser entry's size budget, minified + gzip (zlib default level), as a page's bundler would ship it.
 * Measured 22,231 bytes on 2026-11-30 (the shared session machine, sharding, de-duplication, the REST client,
 * fetch/WebSocket adapters and @noble/hashes' sha256); the budget is that + 15 %. README "Browsers" states it.
 */
const BUDGET_GZIP_BYTES = 25_600;

const root = join(import.meta.dirname, '..', '..');
const NODE_ONLY = /^(node:.*|ws|undici|better-sqlite3|pg|pino|prom-client)(\/.*)?$/;
const builtins = new Set(builtinModules);

/** Marks every Node built-in and Node-only package external, so the bundle names what it would need. */
const recordNodeOnly: Plugin = {
  name: 'record-node-only',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) =>
      NODE_ONLY.test(args.path) || builtins.has(args.path.split('/')[0] ?? '')
        ? { path: args.path, external: true }
        : undefined,
    );
  },
};

async function bundle(entry: string): Promise<{ gzipBytes: number; rawBytes: number; nodeOnly: string[] }> {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [recordNodeOnly],
  });
  const output = result.outputFiles[0];
  assert.ok(output);
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external));
  const inlined = Object.keys(result.metafile.inputs).filter((p) =>
    /node_modules\/(ws|undici|better-sqlite3)\//.test(p),
  );
  return {
    gzipBytes: gzipSync(output.contents).byteLength,
    rawBytes: output.contents.byteLength,
    nodeOnly: [...new Set([...imports.map((i) => i.path), ...inlined])].sort(),
  };
}

describe('genesys-relay/browser bundle (esbuild, platform browser, minified + gzip)', () => {
  it(`imports no Node built-in, ws, undici or better-sqlite3, and stays within ${BUDGET_GZIP_BYTES} bytes gzip`, async () => {
    const { gzipBytes, rawBytes, nodeOnly } = await bundle('src/browser/index.ts');
    assert.deepEqual(nodeOnly, []);
    console.log(`browser bundle: ${rawBytes} bytes minified, ${gzipBytes} bytes gzip (budget ${BUDGET_GZIP_BYTES})`);
    assert.ok(gzipBytes <= BUDGET_GZIP_BYTES, `${gzipBytes} bytes gzip exceeds the budget of ${BUDGET_GZIP_BYTES}`);
  });

  it('the same check flags the Node entry (ws, undici, better-sqlite3, node: built-ins), so it can fail', async () => {
    const { nodeOnly } = await bundle('src/index.ts');
    for (const name of ['ws', 'undici', 'better-sqlite3']) assert.ok(nodeOnly.includes(name), nodeOnly.join(', '));
    assert.ok(
      nodeOnly.some((p) => p.startsWith('node:')),
      nodeOnly.join(', '),
    );
  });
});
