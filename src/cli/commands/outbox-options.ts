import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { reportFailure } from '../common.ts';
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
 * Opens the state directory's outbox, checks that `sink` is one it knows, runs `work`, closes it. A missing state dir,
 * a dir without an outbox or an unknown sink is a bad flag value: one line on stderr naming the flag, exit 2 (as
 * `status` and every other command); an outbox that fails (locked, damaged) exits 1. Never a stack trace.
 */
export function withOutbox(flags: OutboxFlags, work: (outbox: SqliteOutbox) => void): void {
  let outbox: SqliteOutbox | undefined;
  try {
    outbox = openExistingOutbox(flags.stateDir);
    const known = outbox.sinkNames();
    if (!known.includes(flags.sink)) {
      const list = known.length > 0 ? known.join(', ') : 'none yet';
      throw new ConfigError('--sink', `unknown sink "${flags.sink}" (known: ${list})`);
    }
    work(outbox);
  } catch (err) {
    process.exitCode = reportFailure(err);
  } finally {
    outbox?.close();
  }
}
