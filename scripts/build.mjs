#!/usr/bin/env node
// `npm run build`: a clean dist/ (so a deleted source never ships as a stale .js) compiled by tsc from
// tsconfig.build.json: ESM JavaScript, .d.ts and source maps.
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
// The browser entry as one file a page can load with <script type="module"> (the wallboard's direct mode, `demo
// --web` from an install): the same code a page's own bundler makes of `genesys-relay/browser`.
const { build } = await import('esbuild');
await build({
  entryPoints: [join(root, 'dist', 'browser', 'index.js')],
  outfile: join(root, 'dist', 'browser', 'genesys-relay.browser.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
// The bin entry keeps its shebang; make it executable for `node_modules/.bin` and direct runs from a clone.
chmodSync(join(root, 'dist', 'cli', 'main-entry.js'), 0o755);
