import { RefreshingTokenProvider } from '../../../src/auth/refreshing-token-provider.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';
import type { RelayEvent } from '../../../src/envelope/envelope.ts';
import { GenesysRestClient } from '../../../src/genesys/rest-client.ts';
import {
  PacedReader,
  type PendingGapFile,
  Resyncer,
  resyncStrategies,
  type GapReport,
  type ResyncGap,
  type ResyncerOptions,
} from '../../../src/resync/index.ts';

/** What a test reads back from a rig: the resync events committed, and how every gap ended. */
export interface ResyncRig {
  emulator: EmulatorHandle;
  api: GenesysRestClient;
  reader: PacedReader;
  resyncer: Resyncer;
  events: RelayEvent[];
  reports: GapReport[];
  failed: Array<{ gap: ResyncGap; error: unknown; attempts: number }>;
  retries: number;
  /** Publishes on the emulator and hands the same event to the resyncer, as the relay does after a commit. */
  deliverLive(topic: string, eventBody: Record<string, unknown>): void;
  /** The emulator's count of served state reads. */
  reads(): Promise<{ reads: Record<string, number>; totalReads: number }>;
  close(): Promise<void>;
}

export interface RigOptions extends Partial<
  Pick<ResyncerOptions, 'delayMs' | 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs'>
> {
  /** REST client attempts per call. @default 4 */
  restAttempts?: number;
  maxRequestsPerMinute?: number;
  pending?: PendingGapFile;
}

/**
 * A real emulator, a real GenesysRestClient (token, 429 Retry-After, retry budget) and a Resyncer with the shipped
 * strategies; the only stand-in is the outbox, replaced by an array (the outbox path is covered end to end by the
 * CLI tests).
 */
export async function startRig(options: RigOptions = {}): Promise<ResyncRig> {
  const emulator = await startEmulator({ heartbeatMs: 1_000 });
  const tokens = RefreshingTokenProvider.clientCredentials({
    loginBase: emulator.loginBase,
    clientId: 'demo',
    clientSecret: 'demo',
  });
  const api = new GenesysRestClient({
    apiBase: emulator.apiBase,
    tokens,
    maxAttempts: options.restAttempts ?? 4,
    backoff: { baseMs: 20, maxMs: 100, firstImmediate: false },
  });
  const reader = new PacedReader({
    read: (method, path, o) => api.readState(method, path, o),
    clock: systemClock,
    concurrency: 4,
    maxRequestsPerMinute: options.maxRequestsPerMinute ?? 120,
  });
  const events: RelayEvent[] = [];
  const reports: GapReport[] = [];
  const failed: ResyncRig['failed'] = [];
  let liveCount = 0;
  const rig: ResyncRig = {
    emulator,
    api,
    reader,
    events,
    reports,
    failed,
    retries: 0,
    resyncer: new Resyncer({
      strategies: resyncStrategies({ presence: true, conversations: true }),
      reader,
      clock: systemClock,
      append: (event) => {
        events.push(event);
        return Promise.resolve();
      },
      delayMs: options.delayMs ?? 20,
      maxAttempts: options.maxAttempts ?? 3,
      retryBaseMs: options.retryBaseMs ?? 20,
      retryMaxMs: options.retryMaxMs ?? 50,
      ...(options.pending ? { pending: options.pending } : {}),
      hooks: {
        onHealed: (report) => void reports.push(report),
        onRetry: () => void rig.retries++,
        onFailed: (gap, error, attempts) => void failed.push({ gap, error, attempts }),
      },
    }),
    deliverLive(topic, eventBody) {
      emulator.publish(topic, eventBody);
      const now = new Date().toISOString();
      rig.resyncer.observe({
        topicName: topic,
        version: '2',
        eventBody,
        metadata: {},
        relay: { receivedAt: now, channelId: 'live', key: `live-${++liveCount}`, source: 'notification' },
      });
    },
    async reads() {
      const res = await fetch(`${emulator.controlBase}/control/resync-state`);
      return (await res.json()) as { reads: Record<string, number>; totalReads: number };
    },
    async close() {
      await rig.resyncer.close();
      await api.close();
      tokens.close();
      await emulator.close();
    },
  };
  return rig;
}

export function userId(i: number): string {
  return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

export function presenceBody(systemPresence: string, at: number): Record<string, unknown> {
  return {
    source: 'PURECLOUD',
    presenceDefinition: { id: `def-${systemPresence.toLowerCase()}`, systemPresence },
    message: '',
    modifiedDate: new Date(at).toISOString(),
  };
}

export function routingBody(user: string, status: string, at: number): Record<string, unknown> {
  return { id: user, routingStatus: { userId: user, status, startTime: new Date(at).toISOString() } };
}

/** A queue conversation in the live shape: an agent participant in `state`. */
export function conversationBody(id: string, queueId: string, agent: string, state: string): Record<string, unknown> {
  return {
    id,
    maxParticipants: 2,
    participants: [
      { id: `${id}-c`, purpose: 'customer', state: state === 'disconnected' ? 'disconnected' : 'connected' },
      { id: `${id}-a`, purpose: 'agent', userId: agent, queueId, state },
    ],
  };
}

/** A gap from `startAt` to now over `topics`, with a fresh id. */
export function gapOver(topics: readonly string[], startAt: number, id = `gap-${startAt}`): ResyncGap {
  return { id, startAt, endAt: Date.now(), topics, reason: 'test' };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
