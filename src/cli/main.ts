import { Command } from 'commander';
import { registerCommands } from './commands/index.ts';
import { EXIT_CONFIG, exitQuietlyOnBrokenPipe } from './common.ts';
import { ENVIRONMENT_HELP, EXIT_CODES_HELP, ROOT_EXAMPLES } from './help-text.ts';
import { packageVersion } from './version.ts';

const LONG_RUNNING = new Set(['run', 'demo', 'emulator']);

/** Builds the `genesys-relay` program. Each command lives in its own file under commands/. */
export function buildProgram(): Command {
  const program = new Command('genesys-relay')
    .description('Keeps Genesys Cloud notification subscriptions alive and delivers every event durably.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError()
    .addHelpText('after', `${ENVIRONMENT_HELP}\n${EXIT_CODES_HELP}\n${ROOT_EXAMPLES}`)
    // A bad flag value, unknown option or missing argument is a usage error: exit 2, not commander's 1.
    .exitOverride((err) => process.exit(err.exitCode === 1 ? EXIT_CONFIG : err.exitCode))
    // One-shot commands end quietly when their reader goes away (`dlq list --json | head -1`); long-running ones
    // (run's ndjson:- sink) handle a closed stdout themselves.
    .hook('preAction', (_program, command) => {
      if (!LONG_RUNNING.has(command.name())) exitQuietlyOnBrokenPipe(process.stdout);
    });
  registerCommands(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  await buildProgram().parseAsync([...argv]);
}
