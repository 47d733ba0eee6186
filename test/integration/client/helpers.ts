import { after } from 'node:test';
import { RefreshingTokenProvider } from '../../../src/auth/refreshing-token-provider.ts';
import { NotificationClient, type NotificationClientOptions, type RelayEvent } from '../../../src/client/index.ts';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../../src/emulator/index.ts';
import { GenesysRestClient } from '../../../src/genesys/rest-client.ts';

/** Scaled-down liveness for tests: heartbeats every 40 ms, stale after 600 ms of silence. */
export const FAST: Partial<NotificationClientOptions> = {
  heartbeatMs: 40,
  watchdogMs: 600,
  pingIntervalMs: 100,
  pongTimeoutMs: 400,
  session: {
    // Longer than any Retry-After wait a test provokes, so no deadline cuts one short.
    createTimeoutMs: 20_000,
    subscribeTimeoutMs: 20_000,
    checkTimeoutMs: 20_000,
    connectTimeoutMs: 3_000,
    closeTimeoutMs: 500,
    rolloverTimeoutMs: 5_000,
    stableAfterMs: 100,
    maxSameChannelFailures: 3,
    renewFraction: 0.8,
    backoff: { baseMs: 50, maxMs: 1_000, firstImmediate: true },
  },
};

export interface Env {
  emu: EmulatorHandle;
  tokens: RefreshingTokenProvider;
  api: GenesysRestClient;
  client: NotificationClient;
  events: RelayEvent[];
  close(): Promise<void>;
}

export interface EnvOptions {
  emulator?: EmulatorOptions;
  client?: Partial<NotificationClientOptions>;
  clientId?: string;
  clientSecret?: string;
  /** Observes every REST exchange of the client (time it finished, operation, status). */
  onRequest?: (event: { at: number; sentAt: number; operation: string; status: number | undefined }) => void;
}

export async function startEnv(topics: string[], options: EnvOptions = {}): Promise<Env> {
  const emu = await startEmulator({ heartbeatMs: 40, socketClosingLeadMs: 1_500, ...options.emulator });
  const tokens = RefreshingTokenProvider.clientCredentials({
    loginBase: emu.loginBase,
    clientId: options.clientId ?? 'demo',
    clientSecret: options.clientSecret ?? 'demo',
  });
  const onRequest = options.onRequest;
  const api = new GenesysRestClient({
    apiBase: emu.apiBase,
    tokens,
    backoff: { baseMs: 20, maxMs: 200, firstImmediate: false },
    ...(onRequest
      ? {
          onRequest: (e) =>
            onRequest({ at: Date.now(), sentAt: Date.now() - e.durationMs, operation: e.operation, status: e.status }),
        }
      : {}),
  });
  const events: RelayEvent[] = [];
  const client = new NotificationClient({
    api,
    tokens,
    topics,
    ...FAST,
    ...options.client,
    onEvent: (e) => {
      events.push(e);
    },
  });
  return {
    emu,
    tokens,
    api,
    client,
    events,
    async close() {
      await client.close();
      await api.close();
      tokens.close();
      await emu.close();
    },
  };
}

/** Polls `probe` until it is truthy; fails after `timeoutMs` with `what`. */
export async function waitFor(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  while (!probe()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

/** Per-topic delivered sequence numbers: which of 1..n are missing and which came twice. */
export function audit(
  events: readonly RelayEvent[],
  topic: string,
  published: number,
): { missing: number[]; duplicates: number[] } {
  const seen = new Map<number, number>();
  for (const e of events) {
    if (e.topicName !== topic) continue;
    const seq = Number(e.metadata['emulatorSequence']);
    seen.set(seq, (seen.get(seq) ?? 0) + 1);
  }
  const missing: number[] = [];
  for (let i = 1; i <= published; i++) if (!seen.has(i)) missing.push(i);
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([seq]) => seq);
  return { missing, duplicates };
}

/** Publishes `count` events on `topic`, one every `everyMs`, returning how many were published. */
export async function publishSteadily(
  emu: EmulatorHandle,
  topic: string,
  count: number,
  everyMs: number,
): Promise<number> {
  for (let i = 0; i < count; i++) {
    emu.publish(topic, { i });
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return count;
}

export const userTopic = (n: number, suffix = 'presence'): string =>
  `v2.users.${String(n).padStart(8, '0')}-0000-4000-8000-000000000000.${suffix}`;

/**
 * Returns a `startEnv` that remembers every environment it starts and closes them all after the suite
 * (call it inside a `describe`).
 */
export function envsClosedAfter(): (...args: Parameters<typeof startEnv>) => Promise<Env> {
  const envs: Env[] = [];
  after(async () => {
    await Promise.all(envs.map((e) => e.close()));
  });
  return async (...args) => {
    const e = await startEnv(...args);
    envs.push(e);
    return e;
  };
}
