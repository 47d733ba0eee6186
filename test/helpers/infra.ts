import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';

/**
 * Shared plumbing for tests that start real servers (pg-server.ts, nats-server.ts).
 *
 * Missing server binaries make those tests FAIL with a message naming the fix, because a silent skip in CI hides
 * that nothing was tested. `GENESYS_RELAY_SKIP_INFRA=1` is the explicit opt-out for machines without them.
 * Before the suite, test/helpers/provision-infra.ts installs them where it can (root + apt).
 */
export const SKIP_INFRA_ENV = 'GENESYS_RELAY_SKIP_INFRA';

/**
 * When set, the ONLY directories searched for server binaries (PATH-style list). Lets a test (or you) hide the
 * installed servers to check what happens on a machine without them, without uninstalling anything.
 */
export const INFRA_PATH_ENV = 'GENESYS_RELAY_INFRA_PATH';

/** The command that installs the servers, named in every "missing" message. */
export const INSTALL_COMMAND = 'sudo .ci/install-infra.sh';

export class InfraMissingError extends Error {
  constructor(what: string, hint: string) {
    super(
      `${what} is not installed (${hint}). Run ${INSTALL_COMMAND} (apt-get install postgresql nats-server), ` +
        `or set ${SKIP_INFRA_ENV}=1 to skip tests that need real servers.`,
    );
    this.name = 'InfraMissingError';
  }
}

/**
 * Value for node:test's `skip` option: a reason when the binary is missing AND skipping was asked for; `false`
 * otherwise, so a missing binary surfaces as a failing test with InfraMissingError's message.
 */
export function skipUnlessInstalled(installed: boolean, what: string): string | false {
  if (installed) return false;
  return process.env[SKIP_INFRA_ENV] === '1' ? `${what} not installed and ${SKIP_INFRA_ENV}=1` : false;
}

const reported = new Set<string>();

/**
 * For the `skip` option of a suite that starts `what`: skips only under GENESYS_RELAY_SKIP_INFRA=1; otherwise a
 * missing binary adds one failing test naming the fix. Without it node:test reports the suite's tests as merely
 * "cancelled" (its `before` hook threw) and `fail 0`, which reads as a pass.
 */
export function skipOrFailUnlessInstalled(installed: boolean, what: string, hint: string): string | false {
  const skip = skipUnlessInstalled(installed, what);
  if (!installed && skip === false && !reported.has(what)) {
    reported.add(what);
    test(`${what} is installed`, () => {
      throw new InfraMissingError(what, hint);
    });
  }
  return skip;
}

/** The first path that exists, if any. */
export function firstExisting(paths: readonly string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

/**
 * Directories to search for server binaries: $GENESYS_RELAY_INFRA_PATH alone when set, otherwise PATH followed by
 * `fallbacks` (Debian keeps nats-server in /usr/sbin and PostgreSQL in /usr/lib/postgresql/<v>/bin, off a user's PATH).
 */
export function searchDirs(fallbacks: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env[INFRA_PATH_ENV];
  if (override !== undefined) return override.split(delimiter).filter((d) => d !== '');
  const path = (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  return [...new Set([...path, ...fallbacks])];
}

/** The first `dir/name` that is an executable file. */
export function findExecutable(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile() && (statSync(candidate).mode & 0o111) !== 0) return candidate;
    } catch {
      // Not there: try the next directory.
    }
  }
  return undefined;
}

/** Sub-directories `<root>/<version>/bin` of a versioned install tree, newest version first. */
export function versionedBinDirs(root: string): string[] {
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return [];
  }
  return versions
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'));
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; tests never hard-code ports). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Polls `probe` until it resolves true, or fails after `timeoutMs` with `what` in the message. */
export async function waitUntil(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(probe)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
