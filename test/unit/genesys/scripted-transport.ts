import type { Clock } from '../../../src/core/clock.ts';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../../src/genesys/http-transport.ts';

/** What a scripted exchange answers: a response, or a thrown transport error. */
export type ScriptedReply = { status: number; body?: unknown; headers?: Record<string, string> } | { error: Error };

export interface RecordedRequest extends HttpRequest {
  /** Clock time at which the request was sent. */
  at: number;
}

/**
 * A fake HttpTransport for unit tests: answers from a function of (request, index) and records every request with
 * the clock time it was sent, so tests can assert on counts and spacing without sockets.
 */
export class ScriptedTransport implements HttpTransport {
  readonly requests: RecordedRequest[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly script: (req: HttpRequest, index: number) => ScriptedReply | Promise<ScriptedReply>,
  ) {}

  async send(req: HttpRequest): Promise<HttpResponse> {
    const index = this.requests.length;
    this.requests.push({ ...req, at: this.clock.now() });
    const reply = await this.script(req, index);
    if ('error' in reply) throw reply.error;
    const text =
      reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    const headers = Object.fromEntries(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return { status: reply.status, text, header: (name) => headers[name.toLowerCase()] };
  }
}
