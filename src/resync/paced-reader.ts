import type { Clock } from '../core/clock.ts';
import type { StateReader } from './types.ts';

/** The REST call a PacedReader spends its budget on (GenesysRestClient.readState). */
export type ReadStateFn = (
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; accept404?: boolean; signal?: AbortSignal; maxResponseBytes?: number },
) => Promise<{ status: number; body: unknown }>;

export interface PacedReaderOptions {
  read: ReadStateFn;
  clock: Clock;
  /** Calls at once. */
  concurrency: number;
  /**
   * Calls per rolling minute: the share of Genesys' ~300 requests/min per token that resync may take, so that
   * channel and subscription calls keep the rest (genesys-resync.md §3).
   */
  maxRequestsPerMinute: number;
  /** Called once per call started (metrics). */
  onRequest?: (method: string, path: string) => void;
}

const MINUTE_MS = 60_000;

/**
 * A StateReader that bounds resync's use of the rate limit: at most `concurrency` calls in flight and
 * `maxRequestsPerMinute` started in any 60 s window; callers beyond either wait their turn (FIFO). 429s and 5xx are
 * retried underneath by the REST client (Retry-After honoured).
 */
export class PacedReader implements StateReader {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Start times of the calls in the current window, oldest first. */
  private readonly started: number[] = [];
  requests = 0;

  constructor(private readonly options: PacedReaderOptions) {}

  async get(path: string, options: { accept404?: boolean; signal?: AbortSignal } = {}): Promise<unknown> {
    return this.run('GET', path, options);
  }

  async post(
    path: string,
    body: unknown,
    options: { signal?: AbortSignal; maxResponseBytes?: number } = {},
  ): Promise<unknown> {
    return this.run('POST', path, { ...options, body });
  }

  private async run(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; accept404?: boolean; signal?: AbortSignal; maxResponseBytes?: number },
  ): Promise<unknown> {
    await this.acquire(options.signal);
    try {
      await this.awaitWindow(options.signal);
      this.requests++;
      this.options.onRequest?.(method, path);
      return (await this.options.read(method, path, options)).body;
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.options.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** Waits until starting one more call keeps the rolling minute within its budget. */
  private async awaitWindow(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const now = this.options.clock.now();
      while (this.started.length > 0 && (this.started[0] ?? 0) <= now - MINUTE_MS) this.started.shift();
      if (this.started.length < this.options.maxRequestsPerMinute) {
        this.started.push(now);
        return;
      }
      await this.options.clock.sleep((this.started[0] ?? now) + MINUTE_MS - now, signal);
    }
  }
}
