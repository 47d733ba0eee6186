import { Counter, Gauge, type Registry } from 'prom-client';

/** Per-stream metrics, registered on the relay's registry (served on its /metrics). */
export interface StreamMetrics {
  clients: Gauge;
  eventsSent: Counter;
  resumes: Counter;
  resets: Counter;
  rejected: Counter<'status'>;
}

export function createStreamMetrics(registry: Registry): StreamMetrics {
  const registers = [registry];
  return {
    clients: new Gauge({ name: 'genesys_relay_stream_clients', help: 'Browser stream clients connected.', registers }),
    eventsSent: new Counter({
      name: 'genesys_relay_stream_events_sent_total',
      help: 'SSE events written to browser stream clients.',
      registers,
    }),
    resumes: new Counter({
      name: 'genesys_relay_stream_resumes_total',
      help: 'Stream connections that resumed from a Last-Event-ID.',
      registers,
    }),
    resets: new Counter({
      name: 'genesys_relay_stream_resets_total',
      help: 'Reset events sent: what a client asked for was no longer (or never) in the outbox.',
      registers,
    }),
    rejected: new Counter({
      name: 'genesys_relay_stream_rejected_total',
      help: 'Stream requests refused, by status (401 token, 403 origin, 429 rate, 503 full).',
      labelNames: ['status'],
      registers,
    }),
  };
}
