import { isRecord } from '../core/json.ts';
import { REDACTED, createScrubber } from '../logging/scrub.ts';
import type { LoadedConfig } from './load.ts';
import { configSecrets } from './secrets.ts';

/** Fields whose value is a secret wherever they appear (genesys, extra clients, sinks, ServiceNow auth, NATS). */
const SECRET_FIELDS = new Set(['clientSecret', 'secret', 'password', 'token']);

/**
 * A copy of a loaded config that is safe to print: secret fields and every header value become `[redacted]`, and the
 * coordination URL keeps its host but not its password. File paths (`…File`) stay, since they are not secrets.
 */
export function redactConfig(config: LoadedConfig): Record<string, unknown> {
  const scrub = createScrubber(configSecrets(config));
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (key !== undefined && SECRET_FIELDS.has(key) && value !== undefined) return REDACTED;
    if (key === 'headers' && isRecord(value)) {
      return Object.fromEntries(Object.keys(value).map((name) => [name, REDACTED]));
    }
    if (key === 'url' && typeof value === 'string' && /^postgres(ql)?:/.test(value)) return redactUrl(value);
    if (Array.isArray(value)) return value.map((item) => walk(item, undefined));
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    // Last line of defence: a secret that also sits in a field not listed above.
    return typeof value === 'string' ? scrub(value) : value;
  };
  return walk(config, undefined) as Record<string, unknown>;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = REDACTED;
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', REDACTED);
    return parsed.toString().replace(encodeURIComponent(REDACTED), REDACTED);
  } catch {
    return REDACTED;
  }
}
