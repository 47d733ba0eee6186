import { loadConfig, requireCredentials } from '../../config/load.ts';
import { configSecrets } from '../../config/secrets.ts';
import { createLogger } from '../../logging/logger.ts';
import { createRelay } from '../../service/relay.ts';
import { installShutdown } from '../../service/shutdown.ts';
import { EXIT_FAILURE, overridesFrom, reportFailure, type ConfigFlags } from '../common.ts';

export interface RunFlags extends ConfigFlags {
  drainTimeout: number;
  coordinationUrl?: string;
  workerId?: string;
  maxFrameBytes?: number;
}

/** What `genesys-relay run` does (run.ts declares its flags): start the relay, drain on a signal, exit 1 on a fatal error. */
export async function runRelay(flags: RunFlags): Promise<void> {
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
