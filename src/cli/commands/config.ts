import type { Command } from 'commander';
import { stringify } from 'yaml';
import { requireCredentials, type LoadedConfig } from '../../config/load.ts';
import { redactConfig } from '../../config/redact.ts';
import { errorMessage } from '../../core/errors.ts';
import { addConfigOptions, loadFromFlags, runAction, type ConfigFlags } from '../common.ts';

interface PrintFlags extends ConfigFlags {
  json?: boolean;
}

/** `genesys-relay config validate | print`: check a config file, or show the configuration `run` would use. */
export function register(program: Command): void {
  const config = program
    .command('config')
    .description('Check a config file, or print the effective configuration (secrets redacted).');
  addConfigOptions(config.command('validate'))
    .description('Validate the configuration (file + environment + flags): exit 0, or 2 naming each bad field.')
    .action((flags: ConfigFlags) => runAction(() => Promise.resolve(validate(flags))));
  addConfigOptions(config.command('print'))
    .description('Print the effective merged configuration (defaults < file < environment < flags), secrets redacted.')
    .option('--json', 'print JSON instead of YAML')
    .action((flags: PrintFlags) => runAction(() => Promise.resolve(print(flags))));
}

function validate(flags: ConfigFlags): number {
  // A ConfigError (exit 2, the field named) escapes to runAction.
  const config = loadFromFlags(flags);
  const source = flags.config ?? 'defaults and environment';
  const sinks = config.sinks.map((s) => s.name).join(', ');
  process.stdout.write(
    `${source}: valid (${config.topics.length} topic(s); sinks: ${sinks}; state dir ${config.stateDir})\n`,
  );
  const missing = missingCredentials(config);
  // Credentials usually come from the environment at run time, so their absence is a note, not a failure.
  if (missing !== undefined) process.stdout.write(`note: ${missing} (\`run\` and \`doctor\` need it)\n`);
  return 0;
}

function missingCredentials(config: LoadedConfig): string | undefined {
  try {
    requireCredentials(config);
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

function print(flags: PrintFlags): number {
  const redacted = redactConfig(loadFromFlags(flags));
  process.stdout.write(flags.json ? `${JSON.stringify(redacted, null, 2)}\n` : stringify(redacted));
  return 0;
}
