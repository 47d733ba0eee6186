import type { ParsedConfig } from './schema.ts';

/** Every secret value in a loaded config, for the logger's and the CLI's text scrubber. */
export function configSecrets(config: Pick<ParsedConfig, 'genesys' | 'sinks'>): string[] {
  const out: Array<string | undefined> = [config.genesys.clientSecret];
  for (const sink of config.sinks) {
    if (sink.type === 'webhook') out.push(sink.secret, ...Object.values(sink.headers ?? {}));
    if (sink.type === 'servicenow') {
      out.push(sink.auth.password);
      if (sink.auth.kind === 'oauth') out.push(sink.auth.clientSecret);
    }
  }
  return out.filter((s): s is string => typeof s === 'string' && s !== '');
}
