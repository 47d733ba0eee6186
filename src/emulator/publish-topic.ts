import type { EmulatorContext } from './context.ts';
import { publishEvents, type PublishResult } from './publisher.ts';
import { parseTopic } from './topics.ts';

/** Thrown for an unusable publish request; the control API turns it into a 400. */
export class PublishInputError extends Error {}

/** Upper bound per call, so one request cannot stall the event loop for minutes. */
const MAX_COUNT = 1_000_000;

/** Validates and publishes: a combined topic publishes on each expanded name (genesys-api.md §3). */
export function publishTopic(
  ctx: EmulatorContext,
  topic: unknown,
  eventBody: unknown,
  count = 1,
  correlationId?: string,
): PublishResult {
  const parsed = parseTopic(topic);
  if (!parsed.ok) throw new PublishInputError(parsed.message);
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new PublishInputError(`"count" must be an integer from 1 to ${MAX_COUNT}.`);
  }
  return publishEvents(ctx, parsed.topic.expanded, eventBody, count, correlationId);
}
