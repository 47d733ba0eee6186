import { WebSocket } from 'ws';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../../src/emulator/index.ts';

/** Test kit for the emulator conformance suite: real HTTP via fetch and a plain `ws` client. */

export interface Session {
  emu: EmulatorHandle;
  token: string;
  /** fetch against apiBase with the bearer token and JSON content type. */
  api: (path: string, init?: { method?: string; body?: unknown; token?: string | null }) => Promise<Response>;
  createChannel: () => Promise<{ id: string; connectUri: string; expires: string }>;
  subscribe: (channelId: string, topics: string[], method?: 'PUT' | 'POST') => Promise<Response>;
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

export async function requestToken(
  emu: EmulatorHandle,
  id = 'demo',
  secret = 'demo',
  grant = 'client_credentials',
): Promise<Response> {
  return fetch(`${emu.loginBase}/oauth/token`, {
    method: 'POST',
    headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=${grant}`,
  });
}

export async function getToken(emu: EmulatorHandle, id = 'demo', secret = 'demo'): Promise<string> {
  const res = await requestToken(emu, id, secret);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

export async function openSession(options: EmulatorOptions = {}): Promise<Session> {
  const emu = await startEmulator(options);
  return sessionFor(emu, await getToken(emu));
}

export function sessionFor(emu: EmulatorHandle, token: string): Session {
  const api: Session['api'] = (path, init = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const bearer = init.token === undefined ? token : init.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    return fetch(`${emu.apiBase}${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  };
  return {
    emu,
    token,
    api,
    createChannel: async () => {
      const res = await api('/api/v2/notifications/channels', { method: 'POST' });
      if (res.status !== 200) throw new Error(`create channel: ${res.status}`);
      return (await res.json()) as { id: string; connectUri: string; expires: string };
    },
    subscribe: (channelId, topics, method = 'PUT') =>
      api(`/api/v2/notifications/channels/${channelId}/subscriptions`, { method, body: topics.map((id) => ({ id })) }),
  };
}

export interface Frame {
  topicName?: string;
  version?: string;
  eventBody?: Record<string, unknown>;
  metadata?: { CorrelationId?: string; emulatorSequence?: number };
  result?: string;
  status?: string;
  correlationId?: string;
  topics?: string[];
  message?: string;
}

/** A `ws` client that records every frame and lets a test await the next one matching a predicate. */
export class Probe {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  readonly raw: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private cursor = 0;
  private waiter: (() => void) | undefined;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      this.raw.push(text);
      try {
        this.frames.push(JSON.parse(text) as Frame);
      } catch {
        this.frames.push({ message: `<non-json> ${text}` });
      }
      this.waiter?.();
    });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code: number, reason: Buffer) => {
        resolve({ code, reason: reason.toString() });
        this.waiter?.();
      });
    });
  }

  static async open(url: string): Promise<Probe> {
    const probe = new Probe(url);
    await new Promise<void>((resolve, reject) => {
      probe.ws.once('open', () => resolve());
      probe.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      probe.ws.once('error', reject);
    });
    return probe;
  }

  /** Resolves with the next unread frame that matches, skipping others; rejects after `timeoutMs`. */
  async next(match: (frame: Frame) => boolean = () => true, timeoutMs = 2000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++] as Frame;
        if (match(frame)) return frame;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(`no matching frame within ${timeoutMs} ms; saw ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Frames not consumed by `next` yet. */
  unread(): Frame[] {
    return this.frames.slice(this.cursor);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a ping and waits for the pong: proves every earlier server frame has arrived. */
  async sync(): Promise<void> {
    this.send({ message: 'ping' });
    await this.next(isPong);
  }

  close(): void {
    this.ws.terminate();
  }
}

export const isHeartbeat = (f: Frame): boolean =>
  f.topicName === 'channel.metadata' && f.eventBody?.message === 'WebSocket Heartbeat';
export const isPong = (f: Frame): boolean => f.topicName === 'channel.metadata' && f.eventBody?.message === 'pong';
export const isTopic =
  (topic: string) =>
  (f: Frame): boolean =>
    f.topicName === topic;
export const startsWith =
  (prefix: string) =>
  (f: Frame): boolean =>
    f.topicName?.startsWith(prefix) ?? false;

/** Polls the emulator state until `check` holds (for effects with no frame to await, e.g. a server-side close). */
export async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
