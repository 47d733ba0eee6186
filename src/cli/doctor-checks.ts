import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fetchClientCredentialsToken } from '../auth/client-credentials.ts';
import type { AccessToken, TokenProvider } from '../auth/token-provider.ts';
import { formatDurationMs } from '../config/duration.ts';
import { requireCredentials, type LoadedConfig, type RelayConfig } from '../config/load.ts';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { Channel } from '../genesys/notifications-api.ts';
import { resolveEndpoints, type Endpoints } from '../genesys/regions.ts';
import { GenesysRestClient } from '../genesys/rest-client.ts';
import type { ChannelTopic } from '../genesys/wire.ts';
import { parseSubscribableTopic, planShards } from '../topics/index.ts';
import { hostOf, unreachableCode } from './unreachable.ts';

/** One line of the doctor's checklist. */
export interface CheckResult {
  status: 'ok' | 'warn' | 'fail';
  title: string;
  detail: string;
  /** Further lines (rejected topics, …). */
  notes?: string[];
  /** What to do about a warn/fail. */
  fix?: string;
}

/**
 * The doctor's checks in order; a failed step that later steps depend on (credentials, token, API) ends the list
 * there, since everything after it would fail for the same reason.
 */
export async function runDoctorChecks(loaded: LoadedConfig, clock: Clock): Promise<CheckResult[]> {
  const results = await genesysChecks(loaded, clock);
  results.push(checkStateDir(loaded.stateDir));
  return results;
}

async function genesysChecks(loaded: LoadedConfig, clock: Clock): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let config: RelayConfig;
  try {
    config = requireCredentials(loaded);
  } catch (err) {
    results.push({
      status: 'fail',
      title: 'credentials',
      detail: errorMessage(err),
      fix: 'set GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET',
    });
    return results;
  }
  const endpoints = resolveEndpoints(config.genesys.region, {
    ...(config.genesys.apiBase ? { apiBase: config.genesys.apiBase } : {}),
    ...(config.genesys.loginBase ? { loginBase: config.genesys.loginBase } : {}),
  });
  results.push({
    status: 'ok',
    title: 'configuration',
    detail: `client id "${config.genesys.clientId}", region ${config.genesys.region} (api ${endpoints.apiBase}, login ${endpoints.loginBase})`,
  });
  const token = await checkToken(config, endpoints, clock, results);
  if (!token) return results;
  const rest = new GenesysRestClient({
    apiBase: endpoints.apiBase,
    tokens: staticTokens(token),
    clock,
    maxAttempts: 2,
  });
  try {
    if (!(await checkApi(rest, endpoints, results))) return results;
    const topics = checkTopicSyntax(config.topics, results);
    if (topics.length > 0) await checkSubscriptions(rest, topics, config.session.maxTopicsPerChannel, results);
  } finally {
    await rest.close();
  }
  return results;
}

async function checkToken(
  config: RelayConfig,
  endpoints: Endpoints,
  clock: Clock,
  results: CheckResult[],
): Promise<AccessToken | undefined> {
  try {
    const token = await fetchClientCredentialsToken({
      loginBase: endpoints.loginBase,
      clientId: config.genesys.clientId,
      clientSecret: config.genesys.clientSecret,
      clock,
    });
    const ttl = formatDurationMs(Math.max(0, token.expiresAt - clock.now()));
    results.push({
      status: 'ok',
      title: 'token',
      detail: `client credentials accepted by ${endpoints.loginBase}, expires in ${ttl}`,
    });
    return token;
  } catch (err) {
    results.push(
      unreachable('token', endpoints.loginBase, 'GENESYS_LOGIN_BASE', err) ?? {
        status: 'fail',
        title: 'token',
        detail: errorMessage(err),
        fix: 'check GENESYS_CLIENT_ID / GENESYS_CLIENT_SECRET and that the OAuth client belongs to GENESYS_REGION',
      },
    );
    return undefined;
  }
}

async function checkApi(rest: GenesysRestClient, endpoints: Endpoints, results: CheckResult[]): Promise<boolean> {
  try {
    const available = await rest.availableTopics(['requiresPermissions']);
    results.push({
      status: 'ok',
      title: 'API',
      detail: `${endpoints.apiBase} reachable; ${available.length} topics available`,
    });
    return true;
  } catch (err) {
    results.push(
      unreachable('API', endpoints.apiBase, 'GENESYS_API_BASE', err) ?? {
        status: 'fail',
        title: 'API',
        detail: errorMessage(err),
        fix: 'check GENESYS_REGION / GENESYS_API_BASE and network access to the API host',
      },
    );
    return false;
  }
}

/**
 * A connection refused or a name that does not resolve says nothing about the credentials: name the host and what
 * points at it instead of sending the user to check a secret that was never sent.
 */
function unreachable(title: string, base: string, override: string, err: unknown): CheckResult | undefined {
  const code = unreachableCode(err);
  if (code === undefined) return undefined;
  const host = hostOf(base);
  return {
    status: 'fail',
    title,
    detail: `host ${host} is unreachable (${code}); the credentials were not checked`,
    fix: `check GENESYS_REGION (or ${override}) and that this machine can reach ${host} (DNS, proxy, firewall)`,
  };
}

function checkTopicSyntax(topics: readonly string[], results: CheckResult[]): string[] {
  if (topics.length === 0) {
    results.push({
      status: 'warn',
      title: 'topics',
      detail: 'no topics configured',
      fix: 'pass --topic T or list topics: in the config file',
    });
    return [];
  }
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const topic of topics) {
    try {
      valid.push(parseSubscribableTopic(topic).name);
    } catch (err) {
      invalid.push(`${topic}: ${errorMessage(err)}`);
    }
  }
  if (invalid.length > 0) {
    results.push({
      status: 'fail',
      title: 'topic names',
      detail: `${invalid.length} of ${topics.length} invalid`,
      notes: invalid,
      fix: 'correct the names (see `genesys-relay topics validate`)',
    });
  }
  return valid;
}

/** Creates a channel, subscribes every shard with ignoreErrors to learn what is Rejected, and cleans up. */
async function checkSubscriptions(
  rest: GenesysRestClient,
  topics: string[],
  maxTopicsPerChannel: number,
  results: CheckResult[],
): Promise<void> {
  let channel: Channel;
  try {
    channel = await rest.createChannel();
    results.push({ status: 'ok', title: 'channel', detail: `created ${channel.id}` });
  } catch (err) {
    results.push({
      status: 'fail',
      title: 'channel',
      detail: errorMessage(err),
      fix: 'the OAuth client may hold too many channels, or the API refused; see the message',
    });
    return;
  }
  const rejected: ChannelTopic[] = [];
  try {
    for (const shard of planShards(topics, { maxTopicsPerChannel })) {
      rejected.push(...(await rest.replaceSubscriptions(channel.id, shard, { ignoreErrors: true })).rejected);
    }
    results.push(subscriptionResult(topics.length, rejected));
  } catch (err) {
    results.push({ status: 'fail', title: 'subscriptions', detail: errorMessage(err) });
  } finally {
    await rest.deleteSubscriptions(channel.id).then(
      () => results.push({ status: 'ok', title: 'cleanup', detail: `subscriptions of ${channel.id} deleted` }),
      (err: unknown) => results.push({ status: 'warn', title: 'cleanup', detail: errorMessage(err) }),
    );
  }
}

function subscriptionResult(total: number, rejected: readonly ChannelTopic[]): CheckResult {
  if (rejected.length === 0) return { status: 'ok', title: 'subscriptions', detail: `all ${total} topics accepted` };
  const notes = rejected.map((t) => {
    const missing = t.missingPermissions?.length ? `; missing permissions: ${t.missingPermissions.join(', ')}` : '';
    return `${t.id}: ${t.state ?? 'Rejected'}${t.rejectionReason ? ` (${t.rejectionReason})` : ''}${missing}`;
  });
  return {
    status: 'fail',
    title: 'subscriptions',
    detail: `${rejected.length} of ${total} topics rejected`,
    notes,
    fix: "grant the OAuth client's role the missing permissions (and divisions), or drop those topics",
  };
}

/** Checks that `run` could use the state dir, without creating it (the doctor changes nothing on disk). */
function checkStateDir(stateDir: string): CheckResult {
  const existing = nearestExisting(resolve(stateDir));
  try {
    if (!statSync(existing).isDirectory()) throw new Error(`${existing} is not a directory`);
    accessSync(existing, constants.W_OK);
    const detail =
      existing === resolve(stateDir)
        ? `${stateDir} is writable`
        : `${stateDir} does not exist yet; \`run\` will create it (${existing} is writable)`;
    return { status: 'ok', title: 'state dir', detail };
  } catch (err) {
    return {
      status: 'fail',
      title: 'state dir',
      detail: errorMessage(err),
      fix: 'pass --state-dir with a writable directory',
    };
  }
}

/** `path` itself, or its closest ancestor that exists. */
function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

function staticTokens(token: AccessToken): TokenProvider {
  return { getToken: () => Promise.resolve(token), invalidate: () => undefined };
}
