import { InvalidArgumentError, type Command } from 'commander';
import { parseDurationMs } from '../../config/duration.ts';
import { addConfigOptions } from '../common.ts';
import { ENVIRONMENT_HELP, EXIT_CODES_HELP, RUN_EXAMPLES } from '../help-text.ts';
import type { RunFlags } from './run-action.ts';

function duration(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 10s or 500ms');
  return ms;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number of bytes');
  return n;
}

/** `genesys-relay run`: runs the relay until SIGINT/SIGTERM, then drains and exits 0 (CONTRACT.md). */
export function register(program: Command): void {
  const command = program
    .command('run')
    .description('Run the relay: keep the subscriptions alive and deliver every event to the sinks.')
    .option('--drain-timeout <duration>', 'on shutdown, time allowed for in-flight deliveries', duration, 10_000)
    .option('--coordination-url <url>', 'postgres://… shared by several workers: share the shards through leases')
    .option('--worker-id <id>', "this worker's unique id in the group (default hostname-pid)")
    .option(
      '--max-frame-bytes <n>',
      'skip (and report) frames larger than this, keeping the socket (default 16 MiB)',
      positiveInt,
    )
    .addHelpText('after', `${ENVIRONMENT_HELP}\n${EXIT_CODES_HELP}\n${RUN_EXAMPLES}`);
  // The relay (every stage, SQLite, NATS, PostgreSQL) loads only when the command runs, so `--help`, `--version`
  // and the one-shot commands start quickly.
  addConfigOptions(command).action(async (flags: RunFlags) => (await import('./run-action.ts')).runRelay(flags));
}
