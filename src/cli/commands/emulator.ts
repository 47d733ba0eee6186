import { InvalidArgumentError, type Command } from 'commander';
import { startEmulator, type EmulatorClient } from '../../emulator/index.ts';

interface EmulatorFlags {
  port: number;
  host: string;
  heartbeatMs?: number;
  socketClosingLeadMs?: number;
  channelTtlMs?: number;
  tokenTtlS?: number;
  eventsPerSecond?: number;
  rateLimitPerMinute?: number;
  channelsEndWithToken: boolean;
  client: EmulatorClient[];
}

function nonNegative(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError('expected a non-negative number');
  return parsed;
}

function addClient(value: string, previous: EmulatorClient[]): EmulatorClient[] {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) throw new InvalidArgumentError('expected ID:SECRET');
  return [...previous, { id: value.slice(0, colon), secret: value.slice(colon + 1) }];
}

/** `genesys-relay emulator`: runs the emulator until SIGINT/SIGTERM (CONTRACT.md). */
export function register(program: Command): void {
  program
    .command('emulator')
    .description('Run the Genesys Cloud Notification API emulator (OAuth client demo:demo).')
    .option('--port <n>', 'port to listen on (0 = any free port)', nonNegative, 0)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--heartbeat-ms <n>', 'interval between WebSocket heartbeats', nonNegative)
    .option('--socket-closing-lead-ms <n>', 'delay between socket_closing and the close', nonNegative)
    .option('--channel-ttl-ms <n>', 'channel lifetime, reset by subscribe', nonNegative)
    .option('--token-ttl-s <n>', 'access token lifetime in seconds', nonNegative)
    .option('--events-per-second <n>', 'rate of generated events over subscribed topics', nonNegative)
    .option('--rate-limit-per-minute <n>', 'API requests per token per minute before 429', nonNegative)
    .option('--client <id:secret>', 'add an OAuth client (repeatable)', addClient, [])
    .option('--no-channels-end-with-token', 'channels outlive the token that created them (default: they end with it)')
    .action(async (flags: EmulatorFlags) => {
      await runEmulator(flags);
    });
}

async function runEmulator(flags: EmulatorFlags): Promise<void> {
  const emulator = await startEmulator({
    host: flags.host,
    port: flags.port,
    clients: [{ id: 'demo', secret: 'demo' }, ...flags.client],
    channelsEndWithToken: flags.channelsEndWithToken,
    ...(flags.heartbeatMs === undefined ? {} : { heartbeatMs: flags.heartbeatMs }),
    ...(flags.socketClosingLeadMs === undefined ? {} : { socketClosingLeadMs: flags.socketClosingLeadMs }),
    ...(flags.channelTtlMs === undefined ? {} : { channelTtlMs: flags.channelTtlMs }),
    ...(flags.tokenTtlS === undefined ? {} : { tokenTtlS: flags.tokenTtlS }),
    ...(flags.eventsPerSecond === undefined ? {} : { eventsPerSecond: flags.eventsPerSecond }),
    ...(flags.rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute: flags.rateLimitPerMinute }),
  });
  const { apiBase, loginBase, controlBase } = emulator;
  process.stdout.write(`${JSON.stringify({ apiBase, loginBase, controlBase })}\n`);
  // stdout carries exactly one machine-readable line; the human hint goes to stderr.
  process.stderr.write(
    `genesys-relay emulator ready: OAuth client demo/demo; state at ${controlBase}/control/state; Ctrl-C stops it\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emulator.close();
  process.exitCode = 0;
}
