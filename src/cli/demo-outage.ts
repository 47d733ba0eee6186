import { createServer, type Server } from 'node:http';

/**
 * The demo's second sink: a real HTTP receiver (a `webhook:` sink) that goes down on schedule, so the demo shows an
 * outage healing: events queue in the outbox while it answers 503, and drain once it is back, none lost.
 */
export interface DemoReceiver {
  readonly url: string;
  /** Requests answered 200 (one event each: the demo's webhook posts one event per request). */
  readonly received: number;
  readonly down: boolean;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startDemoReceiver(): Promise<DemoReceiver> {
  let down = false;
  let received = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (down) return void res.writeHead(503, { 'content-type': 'text/plain' }).end('down for the demo');
      received += 1;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/events`,
    get received() {
      return received;
    },
    get down() {
      return down;
    },
    setDown: (value) => void (down = value),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What the view says about the outage: down (queueing), draining, drained; or nothing before the first. */
export type OutagePhase =
  | { phase: 'none' }
  | { phase: 'down'; sinceMs: number; queued: number }
  | { phase: 'draining'; downForMs: number; queued: number; maxQueued: number }
  | { phase: 'drained'; downForMs: number; maxQueued: number; drainedInMs: number };

/** Follows one outage after another from the receiver's state and the sink's outbox depth (pending + inflight). */
export class OutageTracker {
  private downAt: number | undefined;
  private upAt: number | undefined;
  private maxQueued = 0;
  private drainedAt: number | undefined;

  observe(now: number, down: boolean, queued: number): OutagePhase {
    if (down && (this.downAt === undefined || this.upAt !== undefined)) {
      this.downAt = now; // a new outage
      this.upAt = undefined;
      this.drainedAt = undefined;
      this.maxQueued = 0;
    }
    if (this.downAt === undefined) return { phase: 'none' };
    this.maxQueued = Math.max(this.maxQueued, queued);
    if (down) return { phase: 'down', sinceMs: now - this.downAt, queued };
    this.upAt ??= now;
    const downForMs = this.upAt - this.downAt;
    if (queued > 0 && this.drainedAt === undefined) {
      return { phase: 'draining', downForMs, queued, maxQueued: this.maxQueued };
    }
    this.drainedAt ??= now;
    return { phase: 'drained', downForMs, maxQueued: this.maxQueued, drainedInMs: this.drainedAt - this.upAt };
  }
}
