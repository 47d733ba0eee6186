import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, type CliOverrides } from '../config/load.ts';
import { AuthError, ConfigError, errorMessage } from '../core/errors.ts';
import { createScrubber } from '../logging/scrub.ts';

/** Flags shared by the commands that read the relay's configuration. */
export interface ConfigFlags {
  config?: string;
  topic?: string[];
  sink?: string[];
  stateDir?: string;
  metricsPort?: number;
  metricsHost?: string;
  streamPort?: number;
  logLevel?: string;
}

/** Exit codes: 1 = failed (auth, doctor findings, runtime), 2 = bad configuration or usage. */
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('expected a port 0-65535');
  return port;
}

/** Adds --config and, unless `only` narrows them, the run-time overrides. */
export function addConfigOptions(command: Command, only?: ReadonlyArray<keyof ConfigFlags>): Command {
  const want = (flag: keyof ConfigFlags): boolean => !only || only.includes(flag);
  command.option('--config <file>', 'YAML or JSON config file');
  if (want('topic')) command.option('--topic <topic>', 'notification topic to subscribe (repeatable)', collect);
  if (want('sink'))
    command.option(
      '--sink <spec>',
      'ndjson:PATH | ndjson:- | webhook:URL | servicenow:URL | nats:URL (repeatable)',
      collect,
    );
  if (want('stateDir')) command.option('--state-dir <dir>', 'directory for the outbox database (default ./.state)');
  if (want('metricsPort'))
    command.option('--metrics-port <n>', 'serve /metrics, /livez, /readyz on this port', parsePort);
  if (want('metricsHost'))
    command.option('--metrics-host <addr>', 'bind address of that server (default 127.0.0.1; 0.0.0.0 in a container)');
  if (want('streamPort'))
    command.option('--stream-port <n>', 'serve the browser event stream (GET /v1/stream, SSE) on this port', parsePort);
  if (want('logLevel')) command.option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent');
  return command;
}

export function overridesFrom(flags: ConfigFlags): CliOverrides {
  return {
    ...(flags.config !== undefined ? { configFile: flags.config } : {}),
    ...(flags.topic ? { topics: flags.topic } : {}),
    ...(flags.sink ? { sinks: flags.sink } : {}),
    ...(flags.stateDir !== undefined ? { stateDir: flags.stateDir } : {}),
    ...(flags.metricsPort !== undefined ? { metricsPort: flags.metricsPort } : {}),
    ...(flags.metricsHost !== undefined ? { metricsHost: flags.metricsHost } : {}),
    ...(flags.streamPort !== undefined ? { streamPort: flags.streamPort } : {}),
    ...(flags.logLevel !== undefined ? { logLevel: flags.logLevel } : {}),
  };
}

export function loadFromFlags(flags: ConfigFlags): ReturnType<typeof loadConfig> {
  return loadConfig(overridesFrom(flags));
}

/**
 * Runs a command body and turns failures into a one-line message on stderr and an exit code, with any
 * known secret scrubbed (the environment's client secret is the one most likely to be echoed back).
 */
export async function runAction(body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    process.exitCode = reportFailure(err);
  }
}

/** Writes the one-line explanation of `err` to stderr (secrets scrubbed) and returns the exit code for it. */
export function reportFailure(err: unknown, secrets: ReadonlyArray<string | undefined> = []): number {
  const scrub = createScrubber([process.env.GENESYS_CLIENT_SECRET, ...secrets]);
  process.stderr.write(`genesys-relay: ${scrub(describeFailure(err))}\n`);
  return err instanceof ConfigError ? EXIT_CONFIG : EXIT_FAILURE;
}

function describeFailure(err: unknown): string {
  if (err instanceof ConfigError) return `invalid configuration: ${err.message}`;
  if (err instanceof AuthError) {
    const advice = /check/i.test(err.message)
      ? ''
      : '\nCheck GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET and GENESYS_REGION (or GENESYS_LOGIN_BASE).';
    return `authentication failed: ${err.message}${advice}`;
  }
  return errorMessage(err);
}

/**
 * Ends the process quietly (exit 0) when the reader of `stream` has gone away, as with `… | head -1`, instead of an
 * unhandled EPIPE stack trace; any other stream error still surfaces.
 */
export function exitQuietlyOnBrokenPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/** Whether to draw live/animated output: a terminal, and not CI. */
export function isInteractive(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.CI;
}
