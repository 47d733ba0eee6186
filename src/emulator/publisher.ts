import type { ChannelRecord, EmulatorContext } from './context.ts';
import { makeEventBody } from './event-bodies.ts';
import { eventFrame, eventFrameFromJson } from './frames.ts';
import { newCorrelationId } from './ids.ts';
import { recordPublished } from './resync-store.ts';

export interface PublishResult {
  /** Events created: one per expanded topic per repetition. */
  published: number;
  /** Frames written to sockets (an event reaching two channels counts twice). */
  delivered: number;
}

/**
 * Creates `count` events on each expanded topic and fans each one out to every subscribed channel: one
 * CorrelationId (fresh, or the given one for all: Genesys does not promise it is unique per event) and one
 * per-topic sequence number per event, serialised once, the same string to every socket.
 * Events for a channel without an open (or with a zombie) socket are lost, as on the real service, and counted.
 */
export function publishEvents(
  ctx: EmulatorContext,
  topics: readonly string[],
  eventBody: unknown,
  count: number,
  correlationId?: string,
): PublishResult {
  const result: PublishResult = { published: 0, delivered: 0 };
  const now = ctx.options.clock.now();
  // A given body is serialised once for all `count` events (generated bodies differ per event).
  const bodyJson = eventBody === undefined ? undefined : (JSON.stringify(eventBody) as string | undefined);
  for (const topic of topics) {
    const subscribers = subscribersOf(ctx, topic);
    // Corked while this topic's events are written: a burst of `count` frames leaves in a few writes, not one system
    // call per frame (which bounded the emulator as a benchmark firehose). Frames and their order are unchanged.
    const corked = count > 1 ? subscribers.flatMap((c) => (c.socket?.transport ? [c.socket.transport] : [])) : [];
    for (const transport of corked) transport.cork();
    try {
      publishOnTopic(ctx, { topic, subscribers, eventBody, bodyJson, count, correlationId, now }, result);
    } finally {
      for (const transport of corked) transport.uncork();
    }
  }
  ctx.counters.published += result.published;
  return result;
}

interface TopicPublish {
  topic: string;
  subscribers: readonly ChannelRecord[];
  eventBody: unknown;
  bodyJson: string | undefined;
  count: number;
  correlationId: string | undefined;
  now: number;
}

/** `count` events on one expanded topic, each to every subscriber; adds to `result`. */
function publishOnTopic(ctx: EmulatorContext, p: TopicPublish, result: PublishResult): void {
  const topicJson = JSON.stringify(p.topic);
  let sequence = ctx.publishedByTopic.get(p.topic) ?? 0;
  for (let i = 0; i < p.count; i++) {
    sequence++;
    const body = p.eventBody === undefined ? makeEventBody(p.topic, p.now) : p.eventBody;
    recordPublished(ctx, p.topic, body, p.now);
    const id = p.correlationId ?? newCorrelationId();
    const frame =
      p.bodyJson === undefined
        ? eventFrame(p.topic, body, id, sequence)
        : eventFrameFromJson(topicJson, p.bodyJson, id, sequence);
    result.published++;
    let reached = 0;
    for (const channel of p.subscribers) if (deliver(ctx, channel, frame)) reached++;
    result.delivered += reached;
    if (reached === 0) ctx.counters.unreached++;
  }
  ctx.publishedByTopic.set(p.topic, sequence);
}

function subscribersOf(ctx: EmulatorContext, topic: string): ChannelRecord[] {
  const found: ChannelRecord[] = [];
  for (const channel of ctx.channels.values()) if (channel.delivery.has(topic)) found.push(channel);
  return found;
}

function deliver(ctx: EmulatorContext, channel: ChannelRecord, frame: string): boolean {
  const sock = channel.socket;
  // readyState 1 is OPEN; a closing or zombie socket loses the event.
  if (sock && !sock.zombie && sock.ws.readyState === 1) {
    sock.ws.send(frame);
    channel.sent++;
    ctx.counters.sent++;
    return true;
  }
  channel.dropped++;
  ctx.counters.dropped++;
  return false;
}
