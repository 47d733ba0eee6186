import { InvalidArgumentError, type Command } from 'commander';
import type { ReplayFrom } from '../../outbox/outbox.ts';
import { addOutboxOptions, nonNegativeInt, withOutbox, type OutboxFlags } from './outbox-options.ts';

interface ReplayFlags extends OutboxFlags {
  fromSeq?: number;
  since?: number;
  all?: boolean;
}

function instant(value: string): number {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new InvalidArgumentError('expected an ISO-8601 instant, e.g. 2026-01-01T00:00:00Z');
  return at;
}

/**
 * `genesys-relay replay`: marks retained events for delivery again to one sink. It only writes the outbox; a running
 * relay picks the rows up within its poll interval, otherwise the next `run` does.
 */
export function register(program: Command): void {
  addOutboxOptions(
    program
      .command('replay')
      .description('Re-deliver events already delivered to a sink (by the running relay or the next run).'),
  )
    .option('--from-seq <n>', 'first outbox sequence number to replay', nonNegativeInt)
    .option('--since <iso>', 'replay events received at or after this instant', instant)
    .option('--all', 'replay every retained event of the sink')
    .action((flags: ReplayFlags, command: Command) => {
      const ranges = [flags.fromSeq !== undefined, flags.since !== undefined, flags.all === true].filter(Boolean);
      // Re-sending a whole retention window is rarely meant: it must be asked for by name.
      if (ranges.length === 0) {
        command.error('error: replay needs a range: --from-seq N, --since ISO, or --all (every retained event)', {
          exitCode: 2,
        });
      }
      if (ranges.length > 1) command.error('error: give one of --from-seq, --since or --all', { exitCode: 2 });
      const from: ReplayFrom = flags.since !== undefined ? { sinceAt: flags.since } : { fromSeq: flags.fromSeq ?? 0 };
      withOutbox(flags, (outbox) => {
        const count = outbox.replay(flags.sink, from);
        process.stdout.write(`marked ${count} event(s) of sink "${flags.sink}" for re-delivery\n`);
      });
    });
}
