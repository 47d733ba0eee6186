import type { Command } from 'commander';
import type { DeadLetter, DeadSelector } from '../../outbox/outbox.ts';
import { addOutboxOptions, nonNegativeInt, withOutbox, type OutboxFlags } from './outbox-options.ts';

interface ListFlags extends OutboxFlags {
  limit: number;
  json?: boolean;
}

interface SelectFlags extends OutboxFlags {
  key: string[];
  all?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `genesys-relay dlq list|retry|purge`: inspects and repairs one sink's dead letters. */
export function register(program: Command): void {
  const dlq = program.command('dlq').description("Inspect and repair a sink's dead letters.");

  addOutboxOptions(dlq.command('list').description('List dead letters, oldest first.'))
    .option('--limit <n>', 'at most this many', nonNegativeInt, 100)
    .option('--json', 'one JSON object per line')
    .action((flags: ListFlags) => {
      withOutbox(flags, (outbox) => printDead(outbox.listDead(flags.sink, flags.limit), flags));
    });

  addOutboxOptions(dlq.command('retry').description('Requeue dead letters for delivery with a fresh attempt budget.'))
    .option('--key <key>', 'only this event key (repeatable); default: all', collect, [])
    .action((flags: SelectFlags) => {
      withOutbox(flags, (outbox) => {
        const count = outbox.requeueDead(flags.sink, selector(flags) ?? { all: true });
        process.stdout.write(`requeued ${count} dead letter(s) of sink "${flags.sink}"\n`);
      });
    });

  addOutboxOptions(dlq.command('purge').description('Discard dead letters (needs --key or --all).'))
    .option('--key <key>', 'only this event key (repeatable)', collect, [])
    .option('--all', 'every dead letter of the sink')
    .action((flags: SelectFlags, command: Command) => {
      const chosen = selector(flags);
      if (!chosen) command.error('error: purge needs --key KEY or --all', { exitCode: 1 });
      withOutbox(flags, (outbox) => {
        const count = outbox.purgeDead(flags.sink, chosen ?? { all: true });
        process.stdout.write(`purged ${count} dead letter(s) of sink "${flags.sink}"\n`);
      });
    });
}

function selector(flags: SelectFlags): DeadSelector | undefined {
  if (flags.key.length > 0) return { keys: flags.key };
  return flags.all ? { all: true } : undefined;
}

function printDead(letters: DeadLetter[], flags: ListFlags): void {
  if (flags.json) {
    for (const d of letters) process.stdout.write(`${JSON.stringify(d)}\n`);
    return;
  }
  if (letters.length === 0) {
    process.stdout.write(`no dead letters for sink "${flags.sink}"\n`);
    return;
  }
  process.stdout.write('seq\tkey\ttopic\tattempts\tdead_at\tlast_error\n');
  for (const d of letters) {
    const deadAt = new Date(d.deadAt).toISOString();
    process.stdout.write(`${d.seq}\t${d.key}\t${d.topic}\t${d.attempts}\t${deadAt}\t${d.lastError ?? ''}\n`);
  }
}
