import type { Channel, NotificationsApi, SubscribeResult } from '../../../src/genesys/notifications-api.ts';
import type { RelaySocket, SocketFactory, SocketHandlers } from '../../../src/session/socket.ts';

/** A scripted NotificationsApi: channels c1, c2, …; every call is recorded; failures can be queued per method. */
export class FakeApi implements NotificationsApi {
  readonly calls: string[] = [];
  readonly alive = new Set<string>();
  private next = 1;
  failNext: Partial<Record<'createChannel' | 'replaceSubscriptions' | 'channelExists', Error>> = {};

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = 100_000,
  ) {}

  private fail(method: keyof FakeApi['failNext']): void {
    const error = this.failNext[method];
    if (error) {
      delete this.failNext[method];
      throw error;
    }
  }

  createChannel(): Promise<Channel> {
    this.calls.push('createChannel');
    this.fail('createChannel');
    const id = `c${this.next++}`;
    this.alive.add(id);
    return Promise.resolve({ id, connectUri: `ws://fake/channels/${id}`, expiresAt: this.now() + this.ttlMs });
  }
  channelExists(channelId: string): Promise<boolean> {
    this.calls.push(`channelExists ${channelId}`);
    this.fail('channelExists');
    return Promise.resolve(this.alive.has(channelId));
  }
  replaceSubscriptions(channelId: string, topics: readonly string[]): Promise<SubscribeResult> {
    this.calls.push(`replaceSubscriptions ${channelId} ${topics.join(',')}`);
    this.fail('replaceSubscriptions');
    return Promise.resolve({ permitted: [...topics], rejected: [] });
  }
  addSubscriptions(): Promise<SubscribeResult> {
    return Promise.reject(new Error('unused'));
  }
  getSubscriptions(): Promise<never[]> {
    return Promise.resolve([]);
  }
  deleteSubscriptions(): Promise<void> {
    return Promise.resolve();
  }
  listChannels(): Promise<never[]> {
    return Promise.resolve([]);
  }
  availableTopics(): Promise<never[]> {
    return Promise.resolve([]);
  }
}

export interface FakeSocket extends RelaySocket {
  url: string;
  handlers: SocketHandlers;
  sent: string[];
  closedWith: number | undefined;
  terminated: boolean;
  paused: boolean;
}

/** Sockets the test drives by hand: `open()`, `message()`, `serverClose()`. */
export class FakeSockets implements SocketFactory {
  readonly opened: FakeSocket[] = [];

  open(url: string, handlers: SocketHandlers): RelaySocket {
    const socket: FakeSocket = {
      url,
      handlers,
      sent: [],
      closedWith: undefined,
      terminated: false,
      paused: false,
      send(text) {
        socket.sent.push(text);
      },
      close(code) {
        socket.closedWith = code;
      },
      terminate() {
        socket.terminated = true;
      },
      pause() {
        socket.paused = true;
      },
      resume() {
        socket.paused = false;
      },
    };
    this.opened.push(socket);
    return socket;
  }

  last(): FakeSocket {
    const socket = this.opened.at(-1);
    if (!socket) throw new Error('no socket opened');
    return socket;
  }
}

export const heartbeat = '{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}';
export const socketClosing = '{"topicName":"v2.system.socket_closing","eventBody":{}}';
export const event = (topic: string, id: string): string =>
  JSON.stringify({ topicName: topic, version: '2', eventBody: {}, metadata: { CorrelationId: id } });
