import { InvalidArgumentError, type Command } from 'commander';
import { parseDurationMs } from '../../config/duration.ts';
import { loadConfig, requireCredentials } from '../../config/load.ts';
import { configSecrets } from '../../config/secrets.ts';
import { createLogger } from '../../logging/logger.ts';
import { createRelay } from '../../service/relay.ts';
import { installShutdown } from '../../service/shutdown.ts';
import { EXIT_FAILURE, addConfigOptions, overridesFrom, reportFailure, type ConfigFlags } from '../common.ts';
import { ENVIRONMENT_HELP, EXIT_CODES_HELP, RUN_EXAMPLES } from '../help-text.ts';

interface RunFlags extends ConfigFlags {
  drainTimeout: number;
  coordinationUrl?: string;
  workerId?: string;
  maxFrameBytes?: number;
}

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
  addConfigOptions(command).action((flags: RunFlags) => runRelay(flags));
}

async function runRelay(flags: RunFlags): Promise<void> {
  let secrets: string[] = [];
  try {
    const config = requireCredentials(
      loadConfig({
        ...overridesFrom(flags),
        ...(flags.coordinationUrl === undefined ? {} : { coordinationUrl: flags.coordinationUrl }),
        ...(flags.workerId === undefined ? {} : { workerId: flags.workerId }),
        ...(flags.maxFrameBytes === undefined ? {} : { maxFrameBytes: flags.maxFrameBytes }),
      }),
    );
    secrets = configSecrets(config);
    const logger = createLogger({ level: config.log.level, secrets });
    const relay = createRelay(config, { logger });
    // Installed before start(), so a signal during start-up also ends in a clean close.
    const shutdown = installShutdown({ relay, logger, drainTimeoutMs: flags.drainTimeout });
    try {
      await relay.start();
    } catch (err) {
      if (shutdown.stopping) return; // The shutdown handler owns the exit now.
      shutdown.dispose();
      process.exit(reportFailure(err, secrets));
    }
    void relay.failed.then((error) => {
      reportFailure(error, secrets);
      shutdown.trigger(`fatal: ${error.message}`, EXIT_FAILURE);
    });
  } catch (err) {
    process.exit(reportFailure(err, secrets));
  }
}
