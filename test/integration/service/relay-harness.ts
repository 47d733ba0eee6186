import { loadConfig, requireCredentials, type RelayConfig } from '../../../src/config/load.ts';
import type { EmulatorHandle } from '../../../src/emulator/index.ts';
import { createLogger } from '../../../src/logging/logger.ts';

/** Polls `condition` every 20 ms until it holds, or fails naming `what`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A logger writing its JSON lines into `lines`, scrubbing `secrets` like the real one. */
export function memoryLogger(secrets: string[]): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (line: string) => void lines.push(line) }, secrets });
  return { logger, lines };
}

/**
 * `file` (a config file's content) loaded through the real loader with the emulator's hosts and an OAuth client it
 * knows in the environment (file < env), as `genesys-relay run --config` would load it.
 */
export function emulatorRelayConfig(
  emulator: EmulatorHandle,
  file: Record<string, unknown>,
  client: { id: string; secret: string } = { id: 'demo', secret: 'demo' },
): RelayConfig {
  const env = {
    GENESYS_API_BASE: emulator.apiBase,
    GENESYS_LOGIN_BASE: emulator.loginBase,
    GENESYS_CLIENT_ID: client.id,
    GENESYS_CLIENT_SECRET: client.secret,
  };
  return requireCredentials(loadConfig({ configFile: 'x' }, { env, readFile: () => JSON.stringify(file) }));
}

export interface ServiceNowRelayConfig {
  emulator: EmulatorHandle;
  /** OAuth client the emulator knows (`clients: [{ id: 'svc', secret }]`). */
  genesysSecret: string;
  topic: string;
  stateDir: string;
  servicenowUrl: string;
  servicenowPassword: string;
  outbox?: Record<string, number>;
}

/**
 * The config a user would write for ndjson on stdout plus a ServiceNow sink (Basic auth as user `relay`), loaded
 * through the real loader (file < env), so the tests exercise the same path as `genesys-relay run --config`.
 */
export function serviceNowRelayConfig(options: ServiceNowRelayConfig): RelayConfig {
  const file = {
    topics: [options.topic],
    stateDir: options.stateDir,
    session: { heartbeatMs: 500 },
    ...(options.outbox ? { outbox: options.outbox } : {}),
    sinks: [
      { type: 'ndjson', path: '-' },
      {
        type: 'servicenow',
        instanceUrl: options.servicenowUrl,
        allowInsecureHttp: true,
        auth: { kind: 'basic', username: 'relay', password: options.servicenowPassword },
      },
    ],
  };
  return emulatorRelayConfig(options.emulator, file, { id: 'svc', secret: options.genesysSecret });
}
