import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../../src/emulator/index.ts';

// The CLI's behaviour is tested from the sources (tsx), so no build is needed in the dev loop; the compiled
// package's bin is exercised by test/package/tarball.test.ts.
const ENTRY = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main-entry.ts');
/** Arguments for `process.execPath` that run the `genesys-relay` CLI from the sources. */
export const CLI_FROM_SOURCE: readonly string[] = ['--import', 'tsx', ENTRY];

export const USER_A = '11111111-1111-1111-1111-111111111111';
export const PRESENCE_A = `v2.users.${USER_A}.presence`;

/** A child `genesys-relay …` process with its output collected line by line. */
export interface CliProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first stderr line matching `pattern`, or rejects after `timeoutMs`. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Kills the process if it is still running. */
  kill(signal?: NodeJS.Signals): void;
}

export function spawnCli(args: readonly string[], env: Record<string, string | undefined> = {}): CliProcess {
  const child = spawn(process.execPath, [...CLI_FROM_SOURCE, ...args], {
    env: { ...process.env, CI: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const watchers: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  createInterface({ input: child.stdout }).on('line', (line) => stdout.push(line));
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    for (const w of [...watchers]) {
      if (w.pattern.test(line)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout,
    stderr,
    exited,
    waitForStderr(pattern, timeoutMs = 20_000) {
      const seen = stderr.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no stderr line matching ${String(pattern)} within ${timeoutMs} ms:\n${stderr.join('\n')}`));
        }, timeoutMs);
        const done = (line: string): void => {
          clearTimeout(timer);
          resolve(line);
        };
        watchers.push({ pattern, resolve: done });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`exited before a line matching ${String(pattern)}:\n${stderr.join('\n')}`));
        });
      });
    },
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Runs a CLI command to completion. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = spawnCli(args, env);
  const timer = setTimeout(() => cli.kill(), timeoutMs);
  const { code } = await cli.exited;
  clearTimeout(timer);
  // Let readline deliver the last lines.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: cli.stdout.join('\n'), stderr: cli.stderr.join('\n') };
}

/** An in-process emulator with fast heartbeats, and the environment that points the relay at it. */
export async function emulatorWithEnv(
  options: EmulatorOptions = {},
): Promise<{ emulator: EmulatorHandle; env: Record<string, string> }> {
  const emulator = await startEmulator({ heartbeatMs: 1_000, ...options });
  return {
    emulator,
    env: {
      GENESYS_API_BASE: emulator.apiBase,
      GENESYS_LOGIN_BASE: emulator.loginBase,
      GENESYS_CLIENT_ID: 'demo',
      GENESYS_CLIENT_SECRET: 'demo',
    },
  };
}

export function tempDir(prefix = 'genesys-relay-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The parsed lines of an NDJSON file ([] while it does not exist). */
export function readNdjson(path: string): Array<Record<string, unknown>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The port from the relay's "metrics listening" log line. */
export async function metricsBase(cli: CliProcess): Promise<string> {
  const line = await cli.waitForStderr(/"msg":"metrics listening"/);
  const { url } = JSON.parse(line) as { url: string };
  return url;
}

/** The value of one sample in Prometheus text, e.g. `genesys_relay_events_received_total`. */
export function sample(metricsText: string, name: string): number | undefined {
  const escaped = name.replace(/[{}"=]/g, (c) => `\\${c}`);
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(metricsText);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
