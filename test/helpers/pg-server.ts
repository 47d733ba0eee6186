import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  InfraMissingError,
  findExecutable,
  freePort,
  searchDirs,
  skipOrFailUnlessInstalled,
  versionedBinDirs,
} from './infra.ts';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';
const MISSING_HINT = `no initdb + pg_ctl on PATH nor in ${PG_ROOT}/<version>/bin`;

export interface PgServer {
  /** `postgres://postgres@127.0.0.1:<port>/relay_test` (trust auth, so no password to leak). */
  readonly url: string;
  readonly port: number;
  /** Crash-stops the server (immediate mode, like a kill) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server (`pg_ctl stop -m immediate`), keeping its data dir and port for `start()`: an outage. */
  halt(): Promise<void>;
  /** Starts a halted server again on the same data dir and port. */
  start(): Promise<void>;
  /** Stops the server (immediate mode) and removes its data directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A directory holding both `initdb` and `pg_ctl`: on PATH (Homebrew, source builds, other distributions), else the
 * newest Debian /usr/lib/postgresql/<version>/bin (or only $GENESYS_RELAY_INFRA_PATH when set).
 */
export function findPgBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = searchDirs(versionedBinDirs(PG_ROOT), env);
  return dirs.find((dir) => findExecutable('pg_ctl', [dir]) && findExecutable('initdb', [dir]));
}

/** For `describe(..., { skip: pgSkip() })`. */
export function pgSkip(): string | false {
  return skipOrFailUnlessInstalled(findPgBin() !== undefined, 'PostgreSQL server', MISSING_HINT);
}

/**
 * Starts a throw-away PostgreSQL on 127.0.0.1 and a random port, with its data and socket in a fresh tmpdir.
 * postgres refuses to run as root, so as root every server command runs as the `postgres` user (created by the
 * Debian package) and the tmpdir is handed to it. fsync is off: the data is thrown away anyway.
 */
export async function startPgServer(): Promise<PgServer> {
  const bin = findPgBin();
  if (!bin)
    throw new InfraMissingError('PostgreSQL server', `no initdb + pg_ctl on PATH nor in ${PG_ROOT}/<version>/bin`);
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
  const serverOptions = `-k ${dir} -p ${port} -h 127.0.0.1 -F -c max_connections=100`;
  const start = () =>
    exec('pg_ctl', ['start', '-D', data, '-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', serverOptions]);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Also right after a failed or timed-out start: pg_ctl stops whatever postmaster.pid names.
    await exec('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await start();
    await createDatabase(port, 'relay_test');
  } catch (err) {
    await stop();
    throw err;
  }
  const halt = async (): Promise<void> => {
    await exec('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
  };
  const restart = async (): Promise<void> => {
    await halt();
    await start();
  };
  const startAgain = async (): Promise<void> => {
    await start();
  };
  return { url: `postgres://postgres@127.0.0.1:${port}/relay_test`, port, restart, halt, start: startAgain, stop };
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
