import { randomUUID } from 'node:crypto';

/**
 * Realistic event bodies for the topic families the generator and `publish` without a body produce. Field names
 * follow the SDK notification models (e.g. PresenceEventUserPresence, UserRoutingStatus, QueueObservation…);
 * values are random but plausible.
 */

const SYSTEM_PRESENCES = ['Available', 'Away', 'Busy', 'Break', 'Meal', 'Meeting', 'Training', 'Offline'] as const;
const ROUTING_STATUSES = ['OFF_QUEUE', 'IDLE', 'INTERACTING', 'NOT_RESPONDING', 'COMMUNICATING'] as const;
const MEDIA_TYPES = ['voice', 'chat', 'email', 'message', 'callback'] as const;
const PARTICIPANT_STATES = ['alerting', 'connected', 'disconnected'] as const;

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

/** The entity id in `v2.<family…>.<id>.<…>` (the third segment for users, the fourth for routing/analytics queues). */
function entityId(segments: readonly string[]): string {
  if (segments[1] === 'users' || segments[1] === 'conversations') return segments[2] ?? randomUUID();
  return segments[3] ?? randomUUID();
}

export function makeEventBody(topic: string, nowAt: number): unknown {
  const segments = topic.split('.');
  const id = entityId(segments);
  const at = new Date(nowAt).toISOString();
  if (segments[1] === 'users') {
    const kind = segments[3];
    if (kind === 'presence') return presenceBody(id, at);
    if (kind === 'routingStatus')
      return { id, routingStatus: { userId: id, status: pick(ROUTING_STATUSES), startTime: at } };
    if (kind === 'conversations') return conversationBody({ userId: id }, at);
  }
  if (segments[1] === 'routing' && segments[2] === 'queues' && segments[4] === 'conversations') {
    return conversationBody({ queueId: id }, at);
  }
  if (segments[1] === 'analytics' && segments[2] === 'queues' && segments[4] === 'observations') {
    return observationBody(id);
  }
  return { id, topic, eventTime: at, emulator: { note: 'generic body: no family model for this topic' } };
}

function presenceBody(userId: string, at: string): unknown {
  const systemPresence = pick(SYSTEM_PRESENCES);
  return {
    id: userId,
    source: 'PURECLOUD',
    presenceDefinition: { id: randomUUID(), systemPresence },
    message: systemPresence === 'Available' ? '' : `Set to ${systemPresence}`,
    modifiedDate: at,
  };
}

function conversationBody(link: { userId?: string; queueId?: string }, at: string): unknown {
  const userId = link.userId ?? randomUUID();
  const queueId = link.queueId ?? randomUUID();
  const mediaType = pick(MEDIA_TYPES);
  return {
    id: randomUUID(),
    maxParticipants: 2,
    recordingState: 'none',
    participants: [
      { id: randomUUID(), purpose: 'customer', state: 'connected', connectedTime: at, mediaType },
      {
        id: randomUUID(),
        purpose: 'agent',
        userId,
        queueId,
        state: pick(PARTICIPANT_STATES),
        startTime: at,
        mediaType,
      },
    ],
    divisions: [{ division: { id: randomUUID() } }],
  };
}

function observationBody(queueId: string): unknown {
  const count = (max: number): number => Math.floor(Math.random() * max);
  return {
    group: { queueId, mediaType: pick(MEDIA_TYPES) },
    data: [
      { metric: 'oWaiting', stats: { count: count(25) } },
      { metric: 'oInteracting', stats: { count: count(60) } },
      { metric: 'oOnQueueUsers', qualifier: 'IDLE', stats: { count: count(40) } },
      { metric: 'oAlerting', stats: { count: count(5) } },
    ],
  };
}
