import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from '../core/json.ts';
import type { EmulatorContext } from './context.ts';
import { parseFaultSpec } from './fault-spec.ts';
import { applyFault, FaultInputError } from './faults.ts';
import type { EventGenerator } from './generator.ts';
import { errorBody, readJson, sendJson } from './http.ts';
import { publishTopic, PublishInputError } from './publish-topic.ts';
import { resyncStoreSnapshot, setResyncQuirks } from './resync-store.ts';
import { snapshotState } from './state-view.ts';
import { TopicDenyList } from './topics.ts';
import { zeroCounters } from './context.ts';

/** The emulator's own control API (CONTRACT.md): JSON in, JSON out, no authentication. */
export async function handleControl(
  ctx: EmulatorContext,
  generator: EventGenerator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const parsed = await readJson(req);
  const route = `${req.method ?? 'GET'} ${url.pathname.replace(/\/$/, '')}`;
  if ('invalid' in parsed) {
    badRequest(res, 'The request body is not valid JSON.');
    return;
  }
  const body = parsed.value;
  try {
    switch (route) {
      case 'GET /control/state':
        return sendJson(res, 200, snapshotState(ctx));
      case 'GET /control/resync-state':
        return sendJson(res, 200, resyncStoreSnapshot(ctx));
      case 'POST /control/resync-quirks':
        return quirksRoute(ctx, res, body);
      case 'POST /control/publish':
        return sendJson(res, 200, publishFromBody(ctx, body));
      case 'POST /control/faults':
        return faultRoute(ctx, res, body);
      case 'POST /control/generator':
        return generatorRoute(ctx, generator, res, body);
      case 'POST /control/reset-counters':
        ctx.counters = zeroCounters();
        return sendJson(res, 200, { reset: true });
      case 'POST /control/clients':
        return clientRoute(ctx, res, body);
      default:
        return sendJson(res, 404, errorBody(404, 'not.found', `No control route ${route}.`));
    }
  } catch (err) {
    if (err instanceof PublishInputError || err instanceof FaultInputError) return badRequest(res, err.message);
    throw err;
  }
}

function quirksRoute(ctx: EmulatorContext, res: ServerResponse, body: unknown): void {
  const quirks = setResyncQuirks(ctx, body);
  if (typeof quirks === 'string') return badRequest(res, quirks);
  sendJson(res, 200, quirks);
}

function badRequest(res: ServerResponse, message: string): void {
  sendJson(res, 400, errorBody(400, 'bad.request', message));
}

function publishFromBody(ctx: EmulatorContext, body: unknown): unknown {
  if (!isRecord(body)) {
    throw new PublishInputError(
      'Expected {"topic": "...", "eventBody"?: {...}, "count"?: N, "correlationId"?: "..."}.',
    );
  }
  const count = body.count ?? 1;
  if (typeof count !== 'number') throw new PublishInputError('"count" must be a number.');
  const correlationId = body.correlationId;
  if (correlationId !== undefined && (typeof correlationId !== 'string' || correlationId === '')) {
    throw new PublishInputError('"correlationId" must be a non-empty string.');
  }
  return publishTopic(ctx, body.topic, body.eventBody, count, correlationId);
}

function faultRoute(ctx: EmulatorContext, res: ServerResponse, body: unknown): void {
  const spec = parseFaultSpec(body);
  if (typeof spec === 'string') return badRequest(res, spec);
  sendJson(res, 200, applyFault(ctx, spec));
}

function generatorRoute(ctx: EmulatorContext, generator: EventGenerator, res: ServerResponse, body: unknown): void {
  const rate = isRecord(body) ? body.eventsPerSecond : undefined;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
    return badRequest(res, '"eventsPerSecond" must be a non-negative number.');
  }
  generator.setRate(rate);
  sendJson(res, 200, { eventsPerSecond: ctx.eventsPerSecond });
}

/** Adds (or replaces) an OAuth client at runtime. */
function clientRoute(ctx: EmulatorContext, res: ServerResponse, body: unknown): void {
  if (!isRecord(body) || typeof body.id !== 'string' || typeof body.secret !== 'string' || body.id === '') {
    return badRequest(res, 'Expected {"id": "...", "secret": "...", "deniedTopics"?: ["..."]}.');
  }
  const denied = Array.isArray(body.deniedTopics) ? body.deniedTopics.filter((t) => typeof t === 'string') : [];
  ctx.clients.set(body.id, { id: body.id, secret: body.secret, denied: new TopicDenyList(denied) });
  sendJson(res, 200, { id: body.id });
}
