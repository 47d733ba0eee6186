import type { ParsedConfig } from './schema.ts';

/** Every secret value in a loaded config, for the logger's and the CLI's text scrubber. */
export function configSecrets(
  config: Pick<ParsedConfig, 'genesys' | 'sinks'> & Partial<Pick<ParsedConfig, 'coordination'>>,
): string[] {
  const out: Array<string | undefined> = [config.genesys.clientSecret];
  for (const client of config.genesys.clients) out.push(client.clientSecret);
  for (const sink of config.sinks) {
    if (sink.type === 'webhook') out.push(sink.secret, ...Object.values(sink.headers ?? {}));
    if (sink.type === 'nats') out.push(sink.token);
    if (sink.type === 'servicenow') {
      out.push(sink.auth.password);
      if (sink.auth.kind === 'oauth') out.push(sink.auth.clientSecret);
    }
  }
  if (config.coordination) out.push(...urlPasswords(config.coordination.url));
  return out.filter((s): s is string => typeof s === 'string' && s !== '');
}

/** The coordination URL's password, as written and decoded, and the whole URL (it may carry it in ?password=). */
function urlPasswords(url: string): string[] {
  try {
    const parsed = new URL(url);
    const fromQuery = parsed.searchParams.get('password') ?? undefined;
    const raw = parsed.password;
    return [url, raw, safeDecode(raw), fromQuery].filter((s): s is string => s !== undefined && s !== '');
  } catch {
    return [url];
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
