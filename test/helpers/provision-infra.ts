/**
 * Test set-up step run by scripts/run-tests.mjs before the suite: makes sure the servers the selected test files
 * start (PostgreSQL, nats-server) and the tools they drive (Chromium, systemd-analyze, docker-compose) can be found, installing them with .ci/install-infra.sh when running as root with
 * apt. Otherwise it fails with ONE line naming the command to run, instead of a suite of cancelled tests.
 *
 *   node --import tsx test/helpers/provision-infra.ts <test files…>   exit 0 = ready, 1 = missing (one line on stderr)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { INSTALL_COMMAND, SKIP_INFRA_ENV, findExecutable } from './infra.ts';
import { findNatsServer } from './nats-server.ts';
import { findPgBin } from './pg-server.ts';

const INSTALL_SCRIPT = join(import.meta.dirname, '..', '..', '.ci', 'install-infra.sh');

interface Server {
  /** Named in messages. */
  label: string;
  /** The helper module whose import marks a test file as needing the server. */
  helper: string;
  find: (env: NodeJS.ProcessEnv) => string | undefined;
}

const onPath = (name: string) => (env: NodeJS.ProcessEnv) => findExecutable(name, (env.PATH ?? '').split(delimiter));

const SERVERS: readonly Server[] = [
  { label: 'PostgreSQL (initdb, pg_ctl)', helper: 'helpers/pg-server', find: findPgBin },
  { label: 'nats-server', helper: 'helpers/nats-server', find: findNatsServer },
  // The wallboard test drives Debian's Chromium at this fixed path (playwright-core downloads no browser here).
  {
    label: 'Chromium (/usr/bin/chromium)',
    helper: "from 'playwright-core'",
    find: () => (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined),
  },
  // The deployment checks verify the systemd unit and the compose file with the real tools.
  { label: 'systemd-analyze', helper: "'systemd-analyze'", find: onPath('systemd-analyze') },
  { label: 'docker-compose', helper: "'docker-compose'", find: onPath('docker-compose') },
];

/** The servers that at least one of `files` starts (it imports that server's helper). */
export function serversNeeded(files: readonly string[], read = (f: string) => readFileSync(f, 'utf8')): Server[] {
  const texts = files.map(read);
  return SERVERS.filter((server) => texts.some((text) => text.includes(server.helper)));
}

export interface ProvisionOptions {
  env?: NodeJS.ProcessEnv;
  /** Runs the installer; returns its exit code. @default bash .ci/install-infra.sh, output to stderr */
  install?: () => number;
  /** @default process.getuid() === 0 */
  isRoot?: boolean;
}

/** undefined when every needed server is there (or skipping was asked for); otherwise the one line to print. */
export function provisionInfra(needed: readonly Server[], options: ProvisionOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  if (env[SKIP_INFRA_ENV] === '1') return undefined;
  const missing = (): Server[] => needed.filter((server) => server.find(env) === undefined);
  if (missing().length === 0) return undefined;
  const canInstall =
    (options.isRoot ?? process.getuid?.() === 0) && findExecutable('apt-get', (env.PATH ?? '').split(delimiter));
  let attempt = '';
  if (canInstall) {
    const code = (options.install ?? runInstaller)();
    if (code !== 0) attempt = ` (.ci/install-infra.sh exited ${code}, output above)`;
  }
  const still = missing();
  if (still.length === 0) return undefined;
  const names = still.map((s) => s.label).join(' and ');
  return (
    `run-tests: ${names} not found on PATH or in the Debian directories${attempt}; ` +
    `install with: ${INSTALL_COMMAND} (or set ${SKIP_INFRA_ENV}=1 to skip the tests that need them)`
  );
}

function runInstaller(): number {
  process.stderr.write('run-tests: installing the test servers with .ci/install-infra.sh (apt-get)…\n');
  const result = spawnSync('bash', [INSTALL_SCRIPT], { stdio: ['ignore', process.stderr, process.stderr] });
  return result.status ?? 1;
}

if (import.meta.filename === process.argv[1]) {
  const problem = provisionInfra(serversNeeded(process.argv.slice(2)));
  if (problem !== undefined) {
    process.stderr.write(`${problem}\n`);
    process.exitCode = 1;
  }
}
