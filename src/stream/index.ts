// The browser event stream: SSE over the outbox's committed events (CONTRACT.md "Event stream for browsers").
export { startStreamServer, type StreamServer, type StreamServerOptions, type StreamSource } from './stream-server.ts';
export { resolveStreamToken } from './stream-auth.ts';
export { createStreamMetrics, type StreamMetrics } from './stream-metrics.ts';
