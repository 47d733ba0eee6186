import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');

/** `npm pack --json`'s description of one tarball. */
export interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string }>;
}

/** Runs a command to completion; fails the test with its output when it exits non-zero. */
export function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 0, `${cmd} ${args.join(' ')} exited ${String(result.status)}:\n${output}`);
  return result.stdout;
}

/** `npm pack` of the repository into `dir` (its prepack script builds dist/ first). */
export function packInto(dir: string): PackResult {
  const stdout = run('npm', ['pack', '--json', '--pack-destination', dir], REPO);
  const [result] = JSON.parse(stdout.slice(stdout.indexOf('['))) as PackResult[];
  assert.ok(result, 'npm pack described no tarball');
  return result;
}

function installedVersion(root: string, name: string): string {
  const path = join(root, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/**
 * An empty ESM project with the tarball installed from its file, plus the repository's own TypeScript and @types/node
 * versions for the consumer type check (all served from the npm cache that `npm ci` filled; no registry needed).
 *
 * Install scripts are skipped: better-sqlite3's would try to download a prebuilt binary (no network here) and then
 * compile SQLite for minutes. Its compiled addon is taken from the repository's install instead, after checking that
 * both are the same better-sqlite3 version, built for this very node binary by `npm ci`.
 */
export function installTarball(project: string, tarball: string): void {
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const tooling = [
    `typescript@${installedVersion(REPO, 'typescript')}`,
    `@types/node@${installedVersion(REPO, '@types/node')}`,
  ];
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'];
  run('npm', ['install', ...flags, tarball, ...tooling], project);
  assert.equal(installedVersion(project, 'better-sqlite3'), installedVersion(REPO, 'better-sqlite3'));
  const addon = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  assert.ok(existsSync(join(REPO, addon)), `${addon} is missing in the repository: run npm ci`);
  mkdirSync(join(project, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
  copyFileSync(join(REPO, addon), join(project, addon));
}

/** The README's library example: the first ```ts block of its "## Library" section, as written. */
export function readmeLibraryExample(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library\n'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match?.[1], 'README.md has no ```ts block under "## Library"');
  return match[1];
}

/** The strictest settings we promise a consumer, with the library's own declarations checked too. */
export const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    skipLibCheck: false,
    // Only TypeScript's own lib.*.d.ts are skipped; every package's declarations, ours first, are checked.
    skipDefaultLibCheck: true,
    noEmit: true,
    types: ['node'],
  },
  include: ['*.ts'],
};

/** A consumer touching each entry point's main types (not `genesys-relay/nats`: see the README). */
export const CONSUMER_SOURCE = `
import { createRelay, loadConfig, NotificationClient, PgLeaseStore, SqliteOutbox, type Gap, type RelayEvent,
  type RelayOptions, type Sink, type TokenProvider } from 'genesys-relay';
import { startEmulator, startServiceNowFake, type EmulatorHandle } from 'genesys-relay/emulator';
import { ManualClock } from 'genesys-relay/testing';

export async function touch(tokens: TokenProvider, sink: Sink, options: RelayOptions): Promise<number> {
  const emulator: EmulatorHandle = await startEmulator({ port: 0 });
  const fake = await startServiceNowFake({});
  const client = new NotificationClient({ apiBase: emulator.apiBase, tokens, topics: ['v2.users.u-1.presence'] });
  client.on('gap', (gap: Gap) => console.log(gap.reason, gap.topics[0]?.length ?? 0));
  const outbox = new SqliteOutbox({ path: ':memory:' });
  const store = new PgLeaseStore({ connectionString: 'postgres://localhost/relay' });
  const first: RelayEvent | undefined = undefined;
  const clock = new ManualClock(0);
  void [sink.name, createRelay, loadConfig, first, clock.now(), store, fake];
  await client.close();
  outbox.close();
  return options.clock?.now() ?? 0;
}
`;
