import { InvalidArgumentError, type Command } from 'commander';
import { errorMessage } from '../../core/errors.ts';
import type { SqliteOutbox } from '../../outbox/sqlite-outbox.ts';
import { defaultStateDir, openExistingOutbox } from '../../outbox/state-dir.ts';

/** Flags shared by the commands that inspect or repair the outbox of a state directory. */
export interface OutboxFlags {
  stateDir: string;
  sink: string;
}

export function addOutboxOptions(command: Command): Command {
  return command
    .option('--state-dir <dir>', 'state directory holding outbox.sqlite', defaultStateDir)
    .requiredOption('--sink <name>', 'sink name, as in the relay config (e.g. ndjson, webhook, servicenow)');
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/**
 * Opens the state directory's outbox, runs `work`, closes it. Errors (missing directory, unknown sink) become one line
 * on stderr and exit code 1: not a stack trace, and not the usage text either, since the flags were fine.
 */
export function withOutbox(stateDir: string, work: (outbox: SqliteOutbox) => void): void {
  let outbox: SqliteOutbox | undefined;
  try {
    outbox = openExistingOutbox(stateDir);
    work(outbox);
  } catch (err) {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  } finally {
    outbox?.close();
  }
}
