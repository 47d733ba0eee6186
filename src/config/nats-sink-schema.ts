import { z } from 'zod';

/** `nats://host:4222` (also tls:// and ws(s)://, which the client accepts). */
const natsUrl = (): z.ZodString =>
  z.string().regex(/^(nats|tls|wss?):\/\/\S+$/, 'must be a nats://host:port URL (or tls://, ws://, wss://)');

/**
 * The NATS JetStream sink (sinks/nats): each event is published to `${subjectPrefix}.${topicName}` with
 * `Nats-Msg-Id: relay.key`, so JetStream drops re-publishes of the same event within `duplicateWindowMs`, also
 * across workers. CLI: `--sink nats:nats://host:4222` (options from the config file's nats sink with that server).
 */
export const natsSinkSchema = z
  .object({
    /** Publishes to NATS JetStream, one subject per topic, de-duplicated by Nats-Msg-Id. */
    type: z.literal('nats'),
    /** Unique sink name; names the outbox cursor. @default 'nats' */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'must be letters, digits, - or _')
      .optional(),
    /** One server URL or several of the same cluster. CLI: --sink nats:URL. */
    servers: z.union([natsUrl(), z.array(natsUrl()).min(1)]).transform((s) => (typeof s === 'string' ? [s] : s)),
    /** @default 'GENESYS' */
    stream: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _')
      .optional(),
    /** @default 'genesys' */
    subjectPrefix: z.string().min(1).optional(),
    /** Must cover the longest redelivery or handover you expect (ms). @default 120000 */
    duplicateWindowMs: z.int().positive().optional(),
    /** Create/adjust the stream on first use; false when ops manage it. @default true */
    createStream: z.boolean().optional(),
    /** Token auth; never logged. */
    token: z.string().min(1).optional(),
    /** @default 256 */
    maxBatch: z.int().positive().optional(),
    /** Wait for each PubAck (ms). @default 5000 */
    ackTimeoutMs: z.int().positive().optional(),
  })
  .strict();

export type NatsSinkConfig = z.output<typeof natsSinkSchema>;
