import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { InfraMissingError, freePort, skipUnlessInstalled } from './infra.ts';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

export interface PgServer {
  /** `postgres://postgres@127.0.0.1:<port>/relay_test` (trust auth, so no password to leak). */
  readonly url: string;
  readonly port: number;
  /** Crash-stops the server (immediate mode, like a kill) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server (immediate mode) and removes its data directory. Idempotent. */
  stop(): Promise<void>;
}

/** Newest installed PostgreSQL bin directory, e.g. /usr/lib/postgresql/15/bin. */
export function findPgBin(): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync(PG_ROOT);
  } catch {
    return undefined;
  }
  const usable = versions
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(PG_ROOT, v, 'bin'))
    .filter((bin) => existsSync(join(bin, 'pg_ctl')));
  return usable[0];
}

/** For `describe(..., { skip: pgSkip() })`. */
export function pgSkip(): string | false {
  return skipUnlessInstalled(findPgBin() !== undefined, 'PostgreSQL server');
}

/**
 * Starts a throw-away PostgreSQL on 127.0.0.1 and a random port, with its data and socket in a fresh tmpdir.
 * postgres refuses to run as root, so as root every server command runs as the `postgres` user (created by the
 * Debian package) and the tmpdir is handed to it. fsync is off: the data is thrown away anyway.
 */
export async function startPgServer(): Promise<PgServer> {
  const bin = findPgBin();
  if (!bin) throw new InfraMissingError('PostgreSQL server', `no ${PG_ROOT}/<version>/bin/pg_ctl`);
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const ids = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]).catch(() => {
      rmSync(dir, { recursive: true, force: true });
      throw new InfraMissingError('the postgres system user', 'running as root needs it to start PostgreSQL');
    });
    chownSync(dir, Number(ids[0].stdout.trim()), Number(ids[1].stdout.trim()));
  }
  const exec = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  const data = join(dir, 'data');
  const port = await freePort();
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const serverOptions = `-k ${dir} -p ${port} -h 127.0.0.1 -F -c max_connections=100`;
  const start = () =>
    exec('pg_ctl', ['start', '-D', data, '-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', serverOptions]);
  await start();

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await exec('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await createDatabase(port, 'relay_test');
  } catch (err) {
    await stop();
    throw err;
  }
  const restart = async (): Promise<void> => {
    await exec('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
    await start();
  };
  return { url: `postgres://postgres@127.0.0.1:${port}/relay_test`, port, restart, stop };
}

async function createDatabase(port: number, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}
