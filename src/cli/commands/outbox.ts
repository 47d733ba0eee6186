import type { Command } from 'commander';
import { addOutboxOptions, withOutbox, type OutboxFlags } from './outbox-options.ts';

/**
 * `genesys-relay outbox drop-sink`: forgets a sink removed from the config. Until then its backlog stays in the
 * outbox (shown by `status`, the outbox_depth metric and a warning at every start) and pins those events against
 * retention; nothing is thrown away in silence.
 */
export function register(program: Command): void {
  const outbox = program.command('outbox').description('Maintain the outbox of a state dir.');
  addOutboxOptions(
    outbox
      .command('drop-sink')
      .description(
        'Forget a sink that is no longer configured: delete its undelivered, delivered and dead rows. ' +
          'Refused while the sink is configured in the relay (remove it from the config and restart first).',
      ),
  ).action((flags: OutboxFlags) => {
    withOutbox(flags, (box) => {
      const pending = box.stats().sinks.find((s) => s.sink === flags.sink)?.pending ?? 0;
      const rows = box.dropSink(flags.sink);
      process.stdout.write(
        `dropped sink "${flags.sink}": ${rows} row(s), of which ${pending} undelivered event(s) it will never get\n`,
      );
    });
  });
}
