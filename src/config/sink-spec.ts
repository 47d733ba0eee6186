import { ConfigError } from '../core/errors.ts';

const USAGE = 'expected ndjson:PATH, ndjson:-, webhook:URL, servicenow:INSTANCE_URL or nats:nats://HOST:PORT';

/**
 * Turns one `--sink SPEC` into a raw sink entry (validated later by the schema). Options that do not fit on a
 * command line (secrets, auth, mode) come from the config file's sink with the same type and URL.
 */
export function parseSinkSpec(
  spec: string,
  index: number,
  fileSinks: ReadonlyArray<Record<string, unknown>>,
): Record<string, unknown> {
  const colon = spec.indexOf(':');
  const type = colon > 0 ? spec.slice(0, colon) : spec;
  const target = colon > 0 ? spec.slice(colon + 1) : '';
  const field = `sinks[${index}]`;
  if (target === '') throw new ConfigError(field, `--sink "${spec}" has no target; ${USAGE}`);
  switch (type) {
    case 'ndjson': {
      const match = fileSinks.find((s) => s.type === 'ndjson' && s.path === target);
      return { ...match, type, path: target };
    }
    case 'webhook': {
      const match = fileSinks.find((s) => s.type === 'webhook' && sameUrl(s.url, target));
      return { ...match, type, url: target };
    }
    case 'servicenow': {
      const match = fileSinks.find((s) => s.type === 'servicenow' && sameUrl(s.instanceUrl, target));
      if (!match) {
        throw new ConfigError(
          `${field}.auth`,
          `missing — servicenow sinks need auth options: add a sink with type servicenow and instanceUrl ${target} to the config file`,
        );
      }
      return { ...match, type, instanceUrl: target };
    }
    case 'nats': {
      // Stream, subject prefix and credentials come from the file's nats sink listing this server.
      const match = fileSinks.find((s) => s.type === 'nats' && natsServers(s.servers).some((u) => sameUrl(u, target)));
      return { ...match, type, servers: match ? match.servers : target };
    }
    default:
      throw new ConfigError(field, `unknown sink type "${type}"; ${USAGE}`);
  }
}

function sameUrl(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

function natsServers(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}
