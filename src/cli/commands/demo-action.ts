import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig, requireCredentials, type RelayConfig } from '../../config/load.ts';
import { errorMessage } from '../../core/errors.ts';
import { startEmulator, type EmulatorHandle, type FaultKind } from '../../emulator/index.ts';
import { startServiceNowFake, type ServiceNowFake } from '../../emulator/servicenow/index.ts';
import { createLogger } from '../../logging/logger.ts';
import { createRelay } from '../../service/relay.ts';
import { installShutdown } from '../../service/shutdown.ts';
import { isInteractive } from '../common.ts';
import { OutageTracker, startDemoReceiver, type DemoReceiver } from '../demo-outage.ts';
import { demoStreamToken, startWallboardServer, type WallboardServer } from '../demo-web.ts';
import { renderFrame, renderLine, type DemoSnapshot } from '../demo-view.ts';

export interface DemoFlags {
  durationS?: number;
  eventsPerSecond: number;
  faultEveryS: number;
  servicenow?: boolean;
  stateDir?: string;
  metricsPort?: number;
  sinkOutageEveryS: number;
  sinkOutageS: number;
  sinkOutageAtS: number;
  web?: boolean;
  webPort?: number;
}

const HEARTBEAT_MS = 1_000;
const USERS = ['0d6f2f4e-6a54-4e0e-9d7a-3f1c2b8a9e01', '5b9c7e1a-2f3d-4c8b-a6e5-d4f3c2b1a002'];
const QUEUE = '8e3a1c5d-7b2f-4e9a-b6c4-1d2e3f4a5b03';
/** The fault cycle: a rollover (socket_closing), a dropped socket (gap + reconnect), a zombie (watchdog), a 5xx. */
const FAULTS: readonly FaultKind[] = ['socket-closing', 'drop', 'zombie', 'socket-closing', 'server-error'];
/** The demo's webhook sink, whose receiver goes down on schedule. */
const OUTAGE_SINK = 'receiver';

/** What `genesys-relay demo` does (demo.ts declares its flags): emulator + relay + live view until Ctrl-C or --duration-s. */
export async function runDemo(flags: DemoFlags): Promise<void> {
  const dir = flags.stateDir ?? mkdtempSync(join(tmpdir(), 'genesys-relay-demo-'));
  const outputPath = join(dir, 'events.ndjson');
  const logPath = join(dir, 'relay.log');
  const emulator = await startEmulator({
    heartbeatMs: HEARTBEAT_MS,
    socketClosingLeadMs: 2_000,
    tokenTtlS: 20,
    channelTtlMs: 60_000,
    eventsPerSecond: flags.eventsPerSecond,
  });
  const fake = flags.servicenow ? await startServiceNowFake({ users: { relay: 'relay-demo' } }) : undefined;
  const receiver = await startDemoReceiver();
  const logger = createLogger({ destination: pino.destination({ dest: logPath, sync: true, mkdir: true }) });
  const direct = { apiBase: emulator.apiBase, loginBase: emulator.loginBase, clientId: 'demo', clientSecret: 'demo' };
  const web = flags.web
    ? await startWallboardServer(flags.webPort ?? 0, { ...direct, topics: demoTopics(), heartbeatMs: HEARTBEAT_MS })
    : undefined;
  const streamToken = demoStreamToken();
  const config = demoConfig(dir, outputPath, emulator, fake, receiver, flags.metricsPort, web);
  const relay = createRelay(config, { logger, streamToken });
  const outage = new OutageTracker();
  const startedAt = Date.now();
  const faults: string[] = [];
  const timers: NodeJS.Timeout[] = [];
  const stopAll = async (): Promise<void> => {
    for (const timer of timers) clearInterval(timer);
    await relay.close({ drainTimeoutMs: 5_000 });
    await emulator.close();
    await fake?.close();
    await receiver.close();
    await web?.close();
    process.stdout.write(`${renderLine(snapshot())}\nstopped; events in ${outputPath}, log in ${logPath}\n`);
  };
  const snapshot = (): DemoSnapshot => {
    const status = relay.status();
    const sink = status.sinks.find((k) => k.name === OUTAGE_SINK);
    const { published, unreached } = emulator.state().counters;
    return {
      elapsedMs: Date.now() - startedAt,
      published,
      unreached,
      relay: status,
      faults,
      outage: outage.observe(Date.now(), receiver.down, (sink?.pending ?? 0) + (sink?.inflight ?? 0)),
      outageSink: OUTAGE_SINK,
      outputPath,
      logPath,
    };
  };
  const shutdown = installShutdown({ relay: { close: stopAll }, logger, drainTimeoutMs: 5_000 });
  await relay.start();
  const streamUrl = relay.streamUrl();
  // One line, before any frame: where to point a browser (the token is in the fragment, never sent in a URL).
  // The same page straight to Genesys (the emulator) through the browser client, with a demo-only token endpoint.
  const directUrl = web?.directPageUrl();
  const banner =
    (web && streamUrl ? `wallboard: ${web.pageUrl(streamUrl, streamToken)}\n` : '') +
    (directUrl ? `wallboard (direct to Genesys): ${directUrl}\n` : '');
  process.stdout.write(banner);
  timers.push(setInterval(() => draw(snapshot(), banner), 1_000));
  if (flags.faultEveryS > 0)
    timers.push(setInterval(() => injectFault(emulator, fake, faults, startedAt), flags.faultEveryS * 1_000));
  if (flags.sinkOutageEveryS > 0 && flags.sinkOutageS > 0) scheduleOutages(receiver, flags, timers);
  if (flags.durationS !== undefined)
    timers.push(setTimeout(() => shutdown.trigger('duration elapsed'), flags.durationS * 1_000));
  // installShutdown exits the process once everything is closed.
}

/** Takes the receiver down for `sinkOutageS` at `sinkOutageAtS`, then every `sinkOutageEveryS`. */
function scheduleOutages(receiver: DemoReceiver, flags: DemoFlags, timers: NodeJS.Timeout[]): void {
  const outageOnce = (): void => {
    receiver.setDown(true);
    timers.push(setTimeout(() => receiver.setDown(false), flags.sinkOutageS * 1_000));
  };
  timers.push(
    setTimeout(() => {
      outageOnce();
      timers.push(setInterval(outageOnce, flags.sinkOutageEveryS * 1_000));
    }, flags.sinkOutageAtS * 1_000),
  );
}

function draw(snapshot: DemoSnapshot, banner: string): void {
  // The wallboard line stays on top of a redrawn screen; a plain log has it once, first.
  if (isInteractive()) process.stdout.write(`\x1b[H\x1b[2J${banner}${renderFrame(snapshot)}`);
  else process.stdout.write(`${renderLine(snapshot)}\n`);
}

function injectFault(
  emulator: EmulatorHandle,
  fake: ServiceNowFake | undefined,
  log: string[],
  startedAt: number,
): void {
  const kind = FAULTS[log.length % FAULTS.length] ?? 'drop';
  const at = `${Math.round((Date.now() - startedAt) / 1000)}s`;
  try {
    emulator.fault({ kind, ...(kind === 'server-error' ? { count: 1 } : {}) });
    if (fake && log.length % 3 === 2) fake.fault({ kind: 'html-503', count: 2, retryAfterS: 1 });
    log.push(`${at} ${kind}`);
  } catch (err) {
    log.push(`${at} ${kind} failed: ${errorMessage(err)}`);
  }
}

/** What the demo's relay (and the wallboard in direct mode) subscribe to. */
function demoTopics(): string[] {
  return [...USERS.map((u) => `v2.users.${u}?presence&routingStatus`), `v2.routing.queues.${QUEUE}.conversations`];
}

/** The relay's config for the demo, validated by the same schema as a user's config file. */
function demoConfig(
  dir: string,
  outputPath: string,
  emulator: EmulatorHandle,
  fake: ServiceNowFake | undefined,
  receiver: DemoReceiver,
  metricsPort: number | undefined,
  web: WallboardServer | undefined,
): RelayConfig {
  const sinks: unknown[] = [
    { type: 'ndjson', path: outputPath },
    { type: 'webhook', name: OUTAGE_SINK, url: receiver.url },
  ];
  if (fake) {
    sinks.push({
      type: 'servicenow',
      instanceUrl: fake.url,
      allowInsecureHttp: true,
      auth: { kind: 'basic', username: 'relay', password: 'relay-demo' },
    });
  }
  const file = {
    topics: demoTopics(),
    stateDir: join(dir, 'state'),
    session: { heartbeatMs: HEARTBEAT_MS },
    outbox: { retryBaseMs: 200, retryMaxMs: 2_000, maxAttempts: 1_000 },
    sinks,
    ...(metricsPort === undefined ? {} : { metrics: { port: metricsPort } }),
    ...(web ? { stream: { port: 0, corsOrigins: [web.origin] } } : {}),
  };
  const env = {
    GENESYS_API_BASE: emulator.apiBase,
    GENESYS_LOGIN_BASE: emulator.loginBase,
    GENESYS_CLIENT_ID: 'demo',
    GENESYS_CLIENT_SECRET: 'demo',
  };
  return requireCredentials(loadConfig({ configFile: 'demo' }, { env, readFile: () => JSON.stringify(file) }));
}
