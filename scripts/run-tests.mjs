#!/usr/bin/env node
// Runs node:test over every *.test.ts below the given folders (default: test/).
// Node 20's `--test` does not expand globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = (roots.length > 0 ? roots : ['test']).flatMap((root) =>
  statSync(root).isDirectory() ? collect(root, []) : [root],
);
if (files.length === 0) {
  console.error('run-tests: no *.test.ts files found');
  process.exit(1);
}
// The PostgreSQL / nats-server the selected tests start: installed if possible, else one line naming the command.
const provision = join(import.meta.dirname, '..', 'test', 'helpers', 'provision-infra.ts');
const infra = spawnSync(process.execPath, ['--import', 'tsx', provision, ...files], { stdio: 'inherit' });
if (infra.status !== 0) process.exit(1);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
