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
// The package test packs, installs and type-checks a whole project: a minute or more on a loaded 2-core machine. It
// runs after the others in its own `node --test` with a longer timeout than the 120 s that catches a hung test.
const isPackageTest = (file) => /(^|[\\/])test[\\/]package[\\/]/.test(file);
const groups = [
  { files: files.filter((f) => !isPackageTest(f)), timeoutMs: 120_000 },
  { files: files.filter(isPackageTest), timeoutMs: 600_000 },
];
let status = 0;
for (const group of groups.filter((g) => g.files.length > 0)) {
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=2',
      `--test-timeout=${group.timeoutMs}`,
      '--test-reporter=spec',
      ...group.files,
    ],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
