import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, errorMessage } from '../core/errors.ts';
import { isRecord } from '../core/json.ts';
import { relayConfigSchema, type ParsedConfig, type ServicenowAuthConfig, type SinkConfig } from './schema.ts';
import { checkRegion } from './region.ts';
import { parseSinkSpec } from './sink-spec.ts';

/** Flags that override everything else (CONTRACT: run's options). */
export interface CliOverrides {
  /** --config FILE (YAML or JSON). */
  configFile?: string;
  /** --topic T (repeatable); replaces the file's topics when given. */
  topics?: readonly string[];
  /** --sink SPEC (repeatable); replaces the file's sinks, taking their options by matching type and URL. */
  sinks?: readonly string[];
  /** --state-dir DIR */
  stateDir?: string;
  /** --metrics-port N */
  metricsPort?: number;
  /** --metrics-host ADDR */
  metricsHost?: string;
  /** --stream-port N (stream.port) */
  streamPort?: number;
  /** --log-level L */
  logLevel?: string;
  /** --coordination-url postgres://… (turns on distributed mode) */
  coordinationUrl?: string;
  /** --worker-id ID */
  workerId?: string;
  /** --max-frame-bytes N (session.maxFrameBytes) */
  maxFrameBytes?: number;
}

export interface LoadOptions {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** File reader, replaceable in tests. @default readFileSync(path, 'utf8') */
  readFile?: (path: string) => string;
}

/** A sink entry after loading: every sink has its (stable, unique) name. */
export type NamedSinkConfig = SinkConfig & { name: string };

/** The loaded configuration; credentials may still be missing (see {@link requireCredentials}). */
export type LoadedConfig = Omit<ParsedConfig, 'sinks'> & { sinks: NamedSinkConfig[] };

/** Fully resolved configuration with credentials present: what `createRelay` takes. */
export type RelayConfig = Omit<LoadedConfig, 'genesys'> & {
  genesys: ParsedConfig['genesys'] & { clientId: string; clientSecret: string };
};

/**
 * Loads the configuration: defaults < config file < environment < CLI flags, validated by one schema.
 * Secrets given as files are read here. Credentials may be absent (e.g. `topics validate`); see
 * {@link requireCredentials}. Throws ConfigError naming the offending field; never includes a secret value.
 */
export function loadConfig(cli: CliOverrides = {}, options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const fileLayer = cli.configFile ? readConfigFile(cli.configFile, readFile) : {};
  const merged = resolveCoordinationUrlFile(applyCli(applyEnv(fileLayer, env), cli), readFile);
  const parsed = relayConfigSchema.safeParse(merged);
  if (!parsed.success) throw toConfigError(parsed.error);
  checkRegion(parsed.data.genesys);
  resolveSecretFiles(parsed.data, readFile);
  return { ...parsed.data, sinks: nameSinks(parsed.data.sinks) };
}

/** Narrows a loaded config to one that can talk to Genesys, or says which credential is missing. */
export function requireCredentials(config: LoadedConfig): RelayConfig {
  const { clientId, clientSecret } = config.genesys;
  if (!clientId) throw new ConfigError('genesys.clientId', 'missing — set GENESYS_CLIENT_ID or genesys.clientId');
  if (!clientSecret) {
    throw new ConfigError('genesys.clientSecret', 'missing — set GENESYS_CLIENT_SECRET or genesys.clientSecretFile');
  }
  return { ...config, genesys: { ...config.genesys, clientId, clientSecret } };
}

function readConfigFile(path: string, readFile: (path: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${path}: ${errorMessage(err)}`);
  }
  let data: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError('--config', `${path} is not valid YAML/JSON: ${errorMessage(err).split('\n')[0] ?? ''}`);
  }
  if (data === null || data === undefined) return {};
  if (!isRecord(data)) throw new ConfigError('--config', `${path} must contain a mapping at the top level`);
  return data;
}

function applyEnv(file: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const genesys: Record<string, unknown> = isRecord(file.genesys) ? { ...file.genesys } : {};
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') genesys[key] = value;
  };
  // An environment secret beats a file secret in either form, so drop the file's pair before applying it.
  if (nonEmpty(env.GENESYS_CLIENT_SECRET) || nonEmpty(env.GENESYS_CLIENT_SECRET_FILE)) {
    delete genesys.clientSecret;
    delete genesys.clientSecretFile;
  }
  set('clientId', env.GENESYS_CLIENT_ID);
  set('clientSecret', env.GENESYS_CLIENT_SECRET);
  set('clientSecretFile', env.GENESYS_CLIENT_SECRET_FILE);
  set('region', env.GENESYS_REGION);
  set('apiBase', env.GENESYS_API_BASE);
  set('loginBase', env.GENESYS_LOGIN_BASE);
  const out: Record<string, unknown> = { ...file, genesys };
  if (nonEmpty(env.GENESYS_RELAY_COORDINATION_URL) || nonEmpty(env.GENESYS_RELAY_COORDINATION_URL_FILE)) {
    // As with the client secret: an environment URL in either form beats the file's, so drop the file's pair.
    const { url: _url, urlFile: _urlFile, ...rest } = isRecord(file.coordination) ? file.coordination : {};
    out.coordination = nonEmpty(env.GENESYS_RELAY_COORDINATION_URL)
      ? { ...rest, url: env.GENESYS_RELAY_COORDINATION_URL }
      : { ...rest, urlFile: env.GENESYS_RELAY_COORDINATION_URL_FILE };
  }
  if (nonEmpty(env.GENESYS_RELAY_METRICS_HOST)) {
    out.metrics = { ...(isRecord(file.metrics) ? file.metrics : {}), host: env.GENESYS_RELAY_METRICS_HOST };
  }
  if (nonEmpty(env.GENESYS_RELAY_LOG_LEVEL)) {
    out.log = { ...(isRecord(file.log) ? file.log : {}), level: env.GENESYS_RELAY_LOG_LEVEL };
  }
  return out;
}

function applyCli(layer: Record<string, unknown>, cli: CliOverrides): Record<string, unknown> {
  const out: Record<string, unknown> = { ...layer };
  if (cli.topics && cli.topics.length > 0) out.topics = [...cli.topics];
  if (cli.stateDir !== undefined) out.stateDir = cli.stateDir;
  if (cli.metricsPort !== undefined)
    out.metrics = { ...(isRecord(layer.metrics) ? layer.metrics : {}), port: cli.metricsPort };
  if (cli.metricsHost !== undefined)
    out.metrics = { ...(isRecord(out.metrics) ? out.metrics : {}), host: cli.metricsHost };
  if (cli.streamPort !== undefined)
    out.stream = { ...(isRecord(layer.stream) ? layer.stream : {}), port: cli.streamPort };
  if (cli.logLevel !== undefined) out.log = { ...(isRecord(layer.log) ? layer.log : {}), level: cli.logLevel };
  if (cli.maxFrameBytes !== undefined) {
    out.session = { ...(isRecord(layer.session) ? layer.session : {}), maxFrameBytes: cli.maxFrameBytes };
  }
  if (cli.coordinationUrl !== undefined || cli.workerId !== undefined) {
    out.coordination = {
      ...(isRecord(layer.coordination) ? layer.coordination : {}),
      ...(cli.coordinationUrl === undefined ? {} : { url: cli.coordinationUrl }),
      ...(cli.workerId === undefined ? {} : { workerId: cli.workerId }),
    };
  }
  if (cli.sinks && cli.sinks.length > 0) {
    const fileSinks = Array.isArray(layer.sinks) ? layer.sinks.filter(isRecord) : [];
    out.sinks = cli.sinks.map((spec, i) => parseSinkSpec(spec, i, fileSinks));
  }
  if (out.sinks === undefined || (Array.isArray(out.sinks) && out.sinks.length === 0)) {
    // Without any sink the relay would only fill its outbox; stdout is the least surprising default.
    out.sinks = [{ type: 'ndjson', path: '-' }];
  }
  return out;
}

/**
 * Reads `coordination.urlFile` into `url` before validation, so the URL from a file is checked like any other and the
 * rest of the relay only ever sees `url`. A URL given directly (file, env or flag) wins.
 */
function resolveCoordinationUrlFile(
  layer: Record<string, unknown>,
  readFile: (path: string) => string,
): Record<string, unknown> {
  const coordination = layer.coordination;
  if (!isRecord(coordination) || coordination.url !== undefined || typeof coordination.urlFile !== 'string') {
    return layer;
  }
  const url = readSecret(coordination.urlFile, 'coordination.urlFile', readFile);
  return { ...layer, coordination: { ...coordination, url } };
}

function resolveSecretFiles(config: ParsedConfig, readFile: (path: string) => string): void {
  const g = config.genesys;
  if (!g.clientSecret && g.clientSecretFile)
    g.clientSecret = readSecret(g.clientSecretFile, 'genesys.clientSecretFile', readFile);
  g.clients.forEach((client, i) => {
    const field = `genesys.clients[${i}]`;
    if (!client.clientSecret && client.clientSecretFile)
      client.clientSecret = readSecret(client.clientSecretFile, `${field}.clientSecretFile`, readFile);
    if (!client.clientSecret)
      throw new ConfigError(`${field}.clientSecret`, 'missing — set clientSecret or clientSecretFile');
  });
  config.sinks.forEach((sink, i) => {
    if (sink.type === 'webhook' && !sink.secret && sink.secretFile) {
      sink.secret = readSecret(sink.secretFile, `sinks[${i}].secretFile`, readFile);
    } else if (sink.type === 'servicenow') {
      resolveServicenowSecrets(sink.auth, `sinks[${i}].auth`, readFile);
    }
  });
}

function resolveServicenowSecrets(auth: ServicenowAuthConfig, field: string, readFile: (path: string) => string): void {
  if (!auth.password && auth.passwordFile)
    auth.password = readSecret(auth.passwordFile, `${field}.passwordFile`, readFile);
  if (auth.kind === 'basic' && !auth.password) {
    throw new ConfigError(`${field}.password`, 'missing — set password or passwordFile');
  }
  if (auth.kind === 'oauth') {
    if (!auth.clientSecret && auth.clientSecretFile) {
      auth.clientSecret = readSecret(auth.clientSecretFile, `${field}.clientSecretFile`, readFile);
    }
    if (!auth.clientSecret)
      throw new ConfigError(`${field}.clientSecret`, 'missing — set clientSecret or clientSecretFile');
    if (auth.grant === 'password' && (!auth.username || !auth.password)) {
      throw new ConfigError(`${field}.username`, 'the password grant needs username and password (or passwordFile)');
    }
  }
}

function readSecret(path: string, field: string, readFile: (path: string) => string): string {
  let value: string;
  try {
    value = readFile(path).trim();
  } catch (err) {
    // The path is not secret; the content never reaches the message.
    throw new ConfigError(field, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (value === '') throw new ConfigError(field, `${path} is empty`);
  return value;
}

/** Gives every sink a stable name: its type, or `<type>-<n>` for the n-th sink of the same type. */
function nameSinks(sinks: readonly SinkConfig[]): NamedSinkConfig[] {
  const seenTypes = new Map<string, number>();
  const names = new Set<string>();
  return sinks.map((sink, i) => {
    const n = (seenTypes.get(sink.type) ?? 0) + 1;
    seenTypes.set(sink.type, n);
    const name = sink.name ?? (n === 1 ? sink.type : `${sink.type}-${n}`);
    if (names.has(name))
      throw new ConfigError(`sinks[${i}].name`, `duplicate sink name "${name}"; give each sink a distinct name`);
    names.add(name);
    return { ...sink, name };
  });
}

/** Formats a zod path as `sinks[1].url`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? 'config' : out;
}

function toConfigError(error: z.ZodError): ConfigError {
  const describe = (issue: z.core.$ZodIssue): { field: string; message: string } => {
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      return { field: formatPath([...issue.path, key]), message: 'unknown field' };
    }
    return { field: formatPath(issue.path), message: issue.message };
  };
  const [first, ...rest] = error.issues.map(describe);
  if (!first) return new ConfigError('config', 'invalid');
  const more = rest.length > 0 ? ` (also: ${rest.map((r) => `${r.field}: ${r.message}`).join('; ')})` : '';
  return new ConfigError(first.field, `${first.message}${more}`);
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}
