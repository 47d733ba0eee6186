import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InfraMissingError,
  findExecutable,
  freePort,
  searchDirs,
  skipOrFailUnlessInstalled,
  waitUntil,
} from './infra.ts';

/** Debian's nats-server package installs to /usr/sbin, which is not on a normal user's PATH. */
const FALLBACK_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/bin'];
const MISSING_HINT = `not on PATH nor in ${FALLBACK_DIRS.join(', ')}`;

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Kills the server process but keeps its JetStream store, so `restart()` comes back with the same streams. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and store. */
  restart(): Promise<void>;
  /** Kills the server and removes its store. Idempotent. */
  stop(): Promise<void>;
}

/** nats-server on PATH or in the Debian directories (or only in $GENESYS_RELAY_INFRA_PATH when set). */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findExecutable('nats-server', searchDirs(FALLBACK_DIRS, env));
}

/** For `describe(..., { skip: natsSkip() })`. */
export function natsSkip(): string | false {
  return skipOrFailUnlessInstalled(findNatsServer() !== undefined, 'nats-server', MISSING_HINT);
}

/** Starts `nats-server -js` on 127.0.0.1 and a random port, with its JetStream store in a fresh tmpdir. */
export async function startNatsServer(): Promise<NatsServer> {
  const binary = findNatsServer();
  if (!binary) throw new InfraMissingError('nats-server', MISSING_HINT);
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-nats-'));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(binary, ['-js', '-sd', dir, '-p', String(port), '-a', '127.0.0.1'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    child = proc;
    try {
      await waitUntil(async () => log.includes('Server is ready') && (await canConnect(port)), 10_000, 'nats-server');
    } catch (err) {
      throw new Error(`${(err as Error).message}; log tail:\n${log}`);
    }
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await launch();
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `nats://127.0.0.1:${port}`, port, kill, restart: launch, stop };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
