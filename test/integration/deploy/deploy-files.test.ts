import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadConfig, type LoadedConfig } from '../../../src/config/load.ts';
import { parseDurationMs } from '../../../src/config/duration.ts';
import {
  ROOT,
  arr,
  cliHelp,
  execForm,
  flagsOf,
  obj,
  parseDockerfile,
  parseSystemdUnit,
  repoFile,
  seconds,
  str,
  yamlDocuments,
  yamlFile,
  type DockerInstruction,
} from './deploy-files.ts';

const STATE_DIR = '/var/lib/genesys-relay';
const CONFIG_PATH = '/etc/genesys-relay/relay.yaml';
const PROBE_PATHS = new Set(['/livez', '/readyz', '/metrics']); // the routes of src/metrics/health.ts
let run: { flags: Set<string>; text: string };
let emulatorFlags: Set<string>;
let envNames: Set<string>;

before(() => {
  run = cliHelp('run');
  emulatorFlags = cliHelp('emulator').flags;
  // Every GENESYS_* variable the CLI documents in `run --help` (src/cli/help-text.ts).
  envNames = new Set(run.text.match(/GENESYS_[A-Z_]+/g) ?? []);
});

/** The flags of a `run` argv exist in the real CLI, and the deployment's essentials are there. */
function checkRunArgs(argv: readonly string[], where: string): { drainS: number; port: string } {
  assert.equal(argv[0], 'run', `${where}: runs the relay`);
  const flags = flagsOf(argv);
  for (const flag of flags.keys()) assert.ok(run.flags.has(flag), `${where}: ${flag} is not a flag of run`);
  assert.equal(flags.get('--state-dir'), STATE_DIR, `${where}: --state-dir`);
  assert.equal(flags.get('--config'), CONFIG_PATH, `${where}: --config`);
  const port = flags.get('--metrics-port');
  assert.ok(port !== undefined && Number(port) > 0, `${where}: --metrics-port`);
  const drainMs = parseDurationMs(flags.get('--drain-timeout') ?? '10000');
  assert.ok(drainMs !== undefined, `${where}: --drain-timeout`);
  return { drainS: drainMs / 1000, port };
}

function checkEnvNames(names: Iterable<string>, where: string): void {
  for (const name of names) {
    if (!name.startsWith('GENESYS_')) continue;
    assert.ok(envNames.has(name), `${where}: ${name} is not an environment variable of the CLI`);
  }
}

/** The config file validates against the real schema with the deployment's environment; returns it loaded. */
function loadDeployConfig(text: string, env: Record<string, string>): LoadedConfig {
  return loadConfig(
    { configFile: CONFIG_PATH },
    { env: { GENESYS_CLIENT_ID: 'id', ...env }, readFile: (path) => (path === CONFIG_PATH ? text : 'secret') },
  );
}

/** `docker compose` (v2 plugin) or `docker-compose` (v1), whichever validates files here. */
function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose'];
  return undefined;
}

function instruction(all: DockerInstruction[], op: string, stage: number): DockerInstruction {
  const found = all.filter((i) => i.op === op && i.stage === stage).at(-1);
  assert.ok(found, `Dockerfile: no ${op} in stage ${stage}`);
  return found;
}

describe('Dockerfile', () => {
  const all = parseDockerfile(repoFile('Dockerfile'));
  const runtime = Math.max(...all.map((i) => i.stage));
  const binPath = (JSON.parse(repoFile('package.json')) as { bin: Record<string, string> }).bin['genesys-relay'];

  it('builds in one stage (native addon: python3, make, g++; npm ci; npm run build) and runs in another', () => {
    assert.ok(runtime >= 1, 'multi-stage');
    const build = all.filter((i) => i.stage === 0).map((i) => `${i.op} ${i.args}`);
    assert.match(build.join('\n'), /apt-get install .*python3.*make.*g\+\+/);
    assert.ok(build.some((l) => /^RUN npm ci\b/.test(l)));
    assert.ok(build.some((l) => /npm run build/.test(l) && /npm prune --omit=dev/.test(l)));
    const runtimeLines = all.filter((i) => i.stage === runtime).map((i) => `${i.op} ${i.args}`);
    assert.ok(
      !runtimeLines.some((l) => /g\+\+|npm ci(?! --omit=dev)/.test(l)),
      'no compiler or dev install at run time',
    );
    assert.ok(runtimeLines.some((l) => /^COPY --from=build \/app\/node_modules/.test(l)));
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = repoFile('.dockerignore')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    for (const copy of all.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: missing`);
        const top = source.split('/')[0];
        assert.ok(!ignored.includes(top ?? ''), `COPY ${source}: excluded by .dockerignore`);
      }
    }
  });

  it('starts node itself (exec form) on the package bin, as a non-root user, with the state dir as a volume', () => {
    const entrypoint = execForm(instruction(all, 'ENTRYPOINT', runtime).args);
    assert.ok(entrypoint, 'ENTRYPOINT in exec form, so node is pid 1 and gets SIGTERM');
    assert.equal(entrypoint[0], 'node');
    const workdir = instruction(all, 'WORKDIR', runtime).args;
    assert.equal(entrypoint[1], posix.join(workdir, binPath ?? ''), 'the bin package.json declares');
    assert.equal(entrypoint.length, 2);
    const user = instruction(all, 'USER', runtime).args;
    assert.ok(!['root', '0', '0:0'].includes(user), `USER ${user}`);
    const cmd = execForm(instruction(all, 'CMD', runtime).args);
    assert.ok(cmd, 'CMD in exec form');
    const { port } = checkRunArgs(cmd, 'Dockerfile CMD');
    assert.deepEqual(execForm(instruction(all, 'VOLUME', runtime).args), [STATE_DIR]);
    assert.equal(instruction(all, 'EXPOSE', runtime).args, port);
  });

  it('listens on 0.0.0.0 through an environment variable the CLI reads, and probes /livez with node on the CMD port', () => {
    const env = instruction(all, 'ENV', runtime).args;
    const pairs = new Map([...env.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    checkEnvNames(pairs.keys(), 'Dockerfile ENV');
    assert.equal(pairs.get('GENESYS_RELAY_METRICS_HOST'), '0.0.0.0');
    const config = loadDeployConfig('topics: [v2.users.x.presence]\n', Object.fromEntries(pairs));
    assert.equal(config.metrics.host, '0.0.0.0');
    const health = instruction(all, 'HEALTHCHECK', runtime).args;
    const probe = execForm(health.slice(health.indexOf('CMD ') + 4));
    assert.ok(probe && probe[0] === 'node', 'HEALTHCHECK runs node (no curl in the image)');
    const url = /http:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(probe.join(' '));
    const cmd = execForm(instruction(all, 'CMD', runtime).args) ?? [];
    assert.equal(url?.[1], flagsOf(cmd).get('--metrics-port'));
    assert.equal(url?.[2], '/livez');
  });
});

describe('deploy/compose/compose.yaml', () => {
  const compose = obj(yamlFile('deploy/compose/compose.yaml'), 'compose');
  const services = obj(compose.services, 'services');
  const relays = ['relay-1', 'relay-2'].map((name) => ({ name, svc: obj(services[name], name) }));

  it('runs two relays, PostgreSQL and NATS, and the emulator only in its profile', () => {
    for (const name of ['relay-1', 'relay-2', 'postgres', 'nats', 'emulator']) assert.ok(services[name], name);
    const emulator = obj(services.emulator, 'emulator');
    assert.deepEqual(emulator.profiles, ['emulator']);
    const argv = arr(emulator.command, 'emulator.command').map(String);
    assert.equal(argv[0], 'emulator');
    for (const flag of flagsOf(argv).keys()) assert.ok(emulatorFlags.has(flag), `emulator ${flag}`);
    assert.equal(flagsOf(argv).get('--host'), '0.0.0.0');
    assert.match(repoFile('deploy/compose/compose.yaml'), new RegExp(`http://emulator:${flagsOf(argv).get('--port')}`));
  });

  it('gives each relay its own state volume, a grace period above the drain timeout, and flags the CLI knows', () => {
    const volumes = new Set<string>();
    for (const { name, svc } of relays) {
      const { drainS, port } = checkRunArgs(arr(svc.command, `${name}.command`).map(String), name);
      assert.ok(seconds(str(svc.stop_grace_period, 'stop_grace_period')) > drainS, `${name}: stop_grace_period`);
      const mounts = arr(svc.volumes, `${name}.volumes`).map(String);
      const state = mounts.find((m) => m.endsWith(`:${STATE_DIR}`));
      assert.ok(state, `${name}: a volume on ${STATE_DIR}`);
      volumes.add(state.split(':')[0] ?? '');
      const published = arr(svc.ports, `${name}.ports`).map(String);
      assert.ok(
        published.every((p) => p.endsWith(`:${port}`)),
        `${name}: publishes the metrics port`,
      );
      assert.equal(svc.read_only, true);
    }
    assert.equal(volumes.size, 2, 'one outbox per relay');
    for (const volume of volumes) assert.ok(volume in obj(compose.volumes, 'volumes'), volume);
  });

  it('passes secrets as files, reads env vars the CLI knows, and its relay.yaml validates (scale-out, NATS)', () => {
    const relay = relays[0]?.svc ?? {};
    const env = obj(relay.environment, 'environment');
    checkEnvNames(Object.keys(env), 'compose environment');
    assert.equal(env.GENESYS_CLIENT_SECRET, undefined, 'the secret is a file, not a variable');
    const secretFile = str(env.GENESYS_CLIENT_SECRET_FILE, 'GENESYS_CLIENT_SECRET_FILE');
    const mounted = arr(relay.secrets, 'secrets').map((s) => `/run/secrets/${str(obj(s, 'secret').target, 'target')}`);
    assert.ok(mounted.includes(secretFile), `${secretFile} is a mounted secret`);
    const configMount = arr(relay.volumes, 'volumes')
      .map(String)
      .find((v) => v.split(':')[1] === CONFIG_PATH);
    assert.ok(configMount && configMount.endsWith(':ro'), `a read-only mount on ${CONFIG_PATH}`);
    const config = loadDeployConfig(repoFile(join('deploy/compose', configMount.split(':')[0] ?? '')), {
      GENESYS_RELAY_METRICS_HOST: str(env.GENESYS_RELAY_METRICS_HOST, 'host'),
      GENESYS_RELAY_COORDINATION_URL: 'postgres://relay:pw@postgres:5432/relay',
    });
    assert.equal(config.metrics.host, '0.0.0.0');
    assert.ok(config.coordination, 'distributed mode');
    assert.deepEqual(
      config.sinks.map((s) => s.type),
      ['nats'],
    );
    const healthcheck = arr(obj(relay.healthcheck, 'healthcheck').test, 'test').join(' ');
    const path = /127\.0\.0\.1:(\d+)(\/\w+)/.exec(healthcheck);
    assert.ok(path && PROBE_PATHS.has(path[2] ?? ''), healthcheck);
    assert.equal(path[1], String(config.metrics.port));
  });

  it('is accepted by docker compose config (both profiles)', (t) => {
    const command = composeCommand();
    if (!command) {
      t.skip('neither docker compose nor docker-compose is installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-compose-'));
    try {
      // The secret files a user creates before `up`.
      cpSync(join(ROOT, 'deploy/compose'), dir, { recursive: true });
      mkdirSync(join(dir, 'secrets'), { recursive: true });
      for (const name of ['genesys-client-secret', 'postgres-password']) writeFileSync(join(dir, 'secrets', name), 'x');
      const env = { ...process.env, GENESYS_CLIENT_ID: 'id', RELAY_DB_PASSWORD: 'pw' };
      for (const profile of [[], ['--profile', 'emulator']]) {
        const args = [...command.slice(1), ...profile, 'config'];
        const result: SpawnSyncReturns<string> = spawnSync(command[0] ?? '', args, { cwd: dir, encoding: 'utf8', env });
        assert.equal(result.status, 0, result.stderr);
        assert.doesNotMatch(result.stderr, /ignored|unsupported|deprecated/i);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/kubernetes', () => {
  const docs = ['statefulset', 'configmap', 'service', 'secret.example']
    .flatMap((name) => yamlDocuments(`deploy/kubernetes/${name}.yaml`))
    .map((d) => obj(d, 'manifest'));
  const byKind = (kind: string): Record<string, unknown> => {
    const found = docs.find((d) => d.kind === kind);
    assert.ok(found, kind);
    return found;
  };
  const sts = byKind('StatefulSet');
  const podSpec = obj(obj(obj(sts.spec, 'spec').template, 'template').spec, 'pod spec');
  const container = obj(arr(podSpec.containers, 'containers')[0], 'container');

  it('runs the relay with known flags, a volume per pod on the state dir, and a grace period above the drain', () => {
    const { drainS, port } = checkRunArgs(arr(container.args, 'args').map(String), 'StatefulSet args');
    assert.ok(Number(podSpec.terminationGracePeriodSeconds) > drainS);
    const claims = arr(obj(sts.spec, 'spec').volumeClaimTemplates, 'volumeClaimTemplates').map((c) =>
      str(obj(obj(c, 'claim').metadata, 'metadata').name, 'name'),
    );
    const mounts = arr(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount'));
    const stateMount = mounts.find((m) => m.mountPath === STATE_DIR);
    assert.ok(stateMount && claims.includes(str(stateMount.name, 'name')), 'the state dir is a per-pod claim');
    const ports = arr(container.ports, 'ports').map((p) => obj(p, 'port'));
    assert.equal(String(ports.find((p) => p.name === 'metrics')?.containerPort), port);
    const annotations = obj(obj(obj(obj(sts.spec, 'spec').template, 't').metadata, 'm').annotations, 'annotations');
    assert.equal(annotations['prometheus.io/scrape'], 'true');
    assert.equal(annotations['prometheus.io/port'], port);
    assert.equal(annotations['prometheus.io/path'], '/metrics');
  });

  it('probes /livez and /readyz on the metrics port, as a non-root user on a read-only root filesystem', () => {
    const probePath = (name: string): string =>
      str(obj(obj(container[name], name).httpGet, 'httpGet').path, `${name}.path`);
    assert.equal(probePath('livenessProbe'), '/livez');
    assert.equal(probePath('readinessProbe'), '/readyz');
    assert.equal(probePath('startupProbe'), '/livez');
    for (const name of ['livenessProbe', 'readinessProbe']) {
      assert.equal(obj(obj(container[name], name).httpGet, 'httpGet').port, 'metrics');
    }
    const pod = obj(podSpec.securityContext, 'pod securityContext');
    assert.equal(pod.runAsNonRoot, true);
    assert.notEqual(pod.runAsUser, 0);
    const own = obj(container.securityContext, 'securityContext');
    assert.equal(own.readOnlyRootFilesystem, true);
    assert.equal(own.allowPrivilegeEscalation, false);
  });

  it('mounts the client secret as a file where GENESYS_CLIENT_SECRET_FILE points; the ConfigMap validates', () => {
    const env = new Map(arr(container.env, 'env').map((e) => [str(obj(e, 'env').name, 'name'), obj(e, 'env')]));
    checkEnvNames(env.keys(), 'StatefulSet env');
    const secretFile = str(env.get('GENESYS_CLIENT_SECRET_FILE')?.value, 'GENESYS_CLIENT_SECRET_FILE');
    const mounts = arr(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount'));
    const secretMount = mounts.find((m) => m.mountPath === dirname(secretFile));
    assert.ok(secretMount, `a volume mounted on ${dirname(secretFile)}`);
    const volume = arr(podSpec.volumes, 'volumes')
      .map((v) => obj(v, 'volume'))
      .find((v) => v.name === secretMount.name);
    const secret = obj(volume?.secret, 'secret volume');
    const items = arr(secret.items, 'items').map((i) => obj(i, 'item'));
    const item = items.find((i) => i.path === posix.basename(secretFile));
    const example = obj(byKind('Secret').stringData, 'stringData');
    assert.ok(item && str(item.key, 'key') in example, 'the file comes from a key of the Secret');
    const ref = obj(obj(env.get('GENESYS_RELAY_COORDINATION_URL')?.valueFrom, 'valueFrom').secretKeyRef, 'ref');
    assert.ok(str(ref.key, 'key') in example);

    const configMount = mounts.find((m) => m.mountPath === dirname(CONFIG_PATH));
    const configVolume = arr(podSpec.volumes, 'volumes')
      .map((v) => obj(v, 'volume'))
      .find((v) => v.name === configMount?.name);
    assert.equal(obj(configVolume?.configMap, 'configMap').name, obj(byKind('ConfigMap').metadata, 'm').name);
    const text = str(obj(byKind('ConfigMap').data, 'data')[posix.basename(CONFIG_PATH)], 'relay.yaml');
    const config = loadDeployConfig(text, {
      GENESYS_RELAY_METRICS_HOST: str(env.get('GENESYS_RELAY_METRICS_HOST')?.value, 'host'),
      GENESYS_RELAY_COORDINATION_URL: str(example['coordination-url'], 'coordination-url'),
    });
    assert.equal(config.metrics.host, '0.0.0.0');
    assert.equal(config.stateDir, STATE_DIR);
    const service = obj(byKind('Service').spec, 'service spec');
    assert.equal(obj(arr(service.ports, 'ports')[0], 'port').targetPort, 'metrics');
    assert.equal(obj(sts.spec, 'spec').serviceName, obj(byKind('Service').metadata, 'm').name);
  });
});

describe('deploy/systemd/genesys-relay.service', () => {
  const path = join(ROOT, 'deploy/systemd/genesys-relay.service');
  const unit = parseSystemdUnit(repoFile('deploy/systemd/genesys-relay.service'));
  const service = unit.get('Service') ?? new Map<string, string[]>();
  const one = (key: string): string => {
    const values = service.get(key);
    assert.ok(values && values.length > 0, `[Service] ${key}`);
    return values.at(-1) ?? '';
  };
  const environment = new Map(
    (service.get('Environment') ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );

  it('execs node on the package bin with known flags; stops with SIGTERM and waits longer than the drain', () => {
    const argv = one('ExecStart').split(/\s+/);
    assert.match(argv[0] ?? '', /\/node$/);
    const binPath = (JSON.parse(repoFile('package.json')) as { bin: Record<string, string> }).bin['genesys-relay'];
    assert.ok(argv[1]?.endsWith(`/genesys-relay/${binPath}`), argv[1]);
    const { drainS } = checkRunArgs(argv.slice(2), 'ExecStart');
    assert.equal(one('KillSignal'), 'SIGTERM');
    assert.ok(seconds(one('TimeoutStopSec')) > drainS);
    assert.equal(one('Restart'), 'on-failure');
    checkEnvNames(environment.keys(), 'Environment');
  });

  it('is hardened: its own user, StateDirectory = the state dir, read-only system, secrets as credentials', () => {
    assert.equal(one('DynamicUser'), 'yes');
    assert.equal(one('ProtectSystem'), 'strict');
    assert.equal(one('NoNewPrivileges'), 'yes');
    assert.equal(`/var/lib/${one('StateDirectory')}`, STATE_DIR);
    const [name] = one('LoadCredential').split(':');
    assert.equal(environment.get('GENESYS_CLIENT_SECRET_FILE'), `%d/${name}`);
    const config = loadDeployConfig(repoFile('deploy/systemd/relay.yaml'), {});
    assert.equal(config.stateDir, STATE_DIR);
  });

  it('passes systemd-analyze verify with no warning about the unit', (t) => {
    const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (probe.error) {
      t.skip('systemd-analyze is not installed');
      return;
    }
    const result = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const complaints = result.stderr.split('\n').filter((l) => l.includes('genesys-relay.service'));
    assert.deepEqual(complaints, []);
  });
});

describe('README.md and docs/ARCHITECTURE.md', () => {
  it('link only to files inside the repository, and every linked file exists', () => {
    for (const doc of ['README.md', 'docs/ARCHITECTURE.md']) {
      const text = repoFile(doc);
      assert.doesNotMatch(text, /\.\.\/shared\//, `${doc} refers to a file outside the repository`);
      const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
      for (const target of targets) {
        assert.doesNotMatch(target, /^[a-z][a-z+.-]*:/i, `${doc} links outside the repository: ${target}`);
        const path = target.split('#')[0] ?? '';
        if (path === '') continue; // an anchor in the same file
        const resolved = join(ROOT, dirname(doc), path);
        assert.ok(resolved.startsWith(`${ROOT}/`), `${doc}: ${target} leaves the repository`);
        assert.ok(existsSync(resolved), `${doc}: ${target} does not exist`);
      }
    }
  });
});
