import { Command } from 'commander';
import { registerCommands } from './commands/index.ts';
import { packageVersion } from './version.ts';

/** Builds the `genesys-relay` program. Each command lives in its own file under commands/. */
export function buildProgram(): Command {
  const program = new Command('genesys-relay')
    .description('Keeps Genesys Cloud notification subscriptions alive and delivers every event durably.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError();
  registerCommands(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  await buildProgram().parseAsync([...argv]);
}
