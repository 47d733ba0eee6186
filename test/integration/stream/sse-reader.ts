import { request, type ClientRequest, type IncomingMessage } from 'node:http';

/** One parsed SSE event (a comment or `retry:` alone is not an event). */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * A real HTTP client of the stream that parses SSE as a browser does. `events` grows as frames arrive; `waitFor`
 * resolves when a condition on them holds (or rejects when the stream ends or `timeoutMs` passes).
 */
export class SseReader {
  readonly events: SseEvent[] = [];
  comments = 0;
  lastEventId: string | undefined;
  private buffer = '';
  private ended = false;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly status: number,
    readonly headers: IncomingMessage['headers'],
    readonly body: string,
    private readonly req: ClientRequest,
  ) {}

  private startReading: (() => void) | undefined;

  /**
   * Connects; a non-200 answer resolves with its status and body and no stream. `paused`: read nothing off the socket
   * (a browser tab that stopped reading) until `resume()`.
   */
  static open(url: string, headers: Record<string, string> = {}, paused = false): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers }, (res) => {
        res.setEncoding('utf8');
        if (res.statusCode !== 200) {
          let body = '';
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve(new SseReader(res.statusCode ?? 0, res.headers, body, req)));
          return;
        }
        const reader = new SseReader(200, res.headers, '', req);
        reader.startReading = () => {
          res.on('data', (chunk: string) => reader.feed(chunk));
          res.on('close', () => reader.finish());
          // A stream paused explicitly stays paused when a 'data' listener is added.
          res.resume();
        };
        if (paused) res.pause();
        else reader.resume();
        resolve(reader);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Events with an id (notifications), as their sequence numbers. */
  seqs(): number[] {
    return this.events.filter((e) => e.event === 'message').map((e) => Number(e.id));
  }

  async waitFor(condition: (r: SseReader) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this)) {
      if (this.ended) throw new Error(`stream ended before: ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for: ${what} (${this.events.length} events)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1_000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  resume(): void {
    const start = this.startReading;
    this.startReading = undefined;
    start?.();
  }

  close(): void {
    this.req.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      this.parse(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
    }
    this.wakeWaiters();
  }

  private parse(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    let fields = 0;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++;
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'id') id = value;
      else if (name === 'event') event = value;
      else if (name === 'data') data.push(value);
      else continue;
      fields++;
    }
    if (id !== undefined) this.lastEventId = id;
    if (fields > 0 && data.length > 0) this.events.push({ id, event, data: data.join('\n') });
  }

  private finish(): void {
    this.ended = true;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
