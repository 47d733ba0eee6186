import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Shared plumbing for tests that start real servers (pg-server.ts, nats-server.ts).
 *
 * Missing server binaries make those tests FAIL with a message naming the fix, because a silent skip in CI hides
 * that nothing was tested. `GENESYS_RELAY_SKIP_INFRA=1` is the explicit opt-out for machines without them.
 */
export const SKIP_INFRA_ENV = 'GENESYS_RELAY_SKIP_INFRA';

export class InfraMissingError extends Error {
  constructor(what: string, hint: string) {
    super(
      `${what} is not installed (${hint}). Run .ci/install-infra.sh (apt-get install postgresql nats-server), ` +
        `or set ${SKIP_INFRA_ENV}=1 to skip tests that need real servers.`,
    );
    this.name = 'InfraMissingError';
  }
}

/**
 * Value for node:test's `skip` option: a reason when the binary is missing AND skipping was asked for; `false`
 * otherwise, so a missing binary surfaces as a failing `before` hook with InfraMissingError's message.
 */
export function skipUnlessInstalled(installed: boolean, what: string): string | false {
  if (installed) return false;
  return process.env[SKIP_INFRA_ENV] === '1' ? `${what} not installed and ${SKIP_INFRA_ENV}=1` : false;
}

/** The first path that exists, if any. */
export function firstExisting(paths: readonly string[]): string | undefined {
  return paths.find((p) => existsSync(p));
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
