import type { AvailableTopic } from '../genesys/wire.ts';

/** Entries of `GET /api/v2/notifications/availabletopics` for the families the emulator generates (§1.5). */

interface Family {
  id: string;
  description: string;
  permissions: string[];
  currentUserOrPermission: boolean;
  schemaProperties: Record<string, unknown>;
}

const FAMILIES: readonly Family[] = [
  {
    id: 'v2.users.{id}.presence',
    description: "A user's presence changed.",
    permissions: [],
    currentUserOrPermission: true,
    schemaProperties: {
      id: { type: 'string' },
      source: { type: 'string' },
      presenceDefinition: {
        type: 'object',
        properties: { id: { type: 'string' }, systemPresence: { type: 'string' } },
      },
      message: { type: 'string' },
      modifiedDate: { type: 'string', format: 'date-time' },
    },
  },
  {
    id: 'v2.users.{id}.routingStatus',
    description: "A user's routing status changed.",
    permissions: ['routing:agent:view'],
    currentUserOrPermission: true,
    schemaProperties: {
      id: { type: 'string' },
      routingStatus: {
        type: 'object',
        properties: { userId: { type: 'string' }, status: { type: 'string' }, startTime: { type: 'string' } },
      },
    },
  },
  {
    id: 'v2.users.{id}.conversations',
    description: 'A conversation involving the user changed.',
    permissions: ['conversation:communication:view'],
    currentUserOrPermission: true,
    schemaProperties: conversationSchema(),
  },
  {
    id: 'v2.routing.queues.{id}.conversations',
    description: 'A conversation in the queue changed.',
    permissions: ['routing:queue:view', 'conversation:communication:view'],
    currentUserOrPermission: false,
    schemaProperties: conversationSchema(),
  },
  {
    id: 'v2.analytics.queues.{id}.observations',
    description: 'Real-time observation metrics of a queue changed.',
    permissions: ['analytics:queueObservation:view'],
    currentUserOrPermission: false,
    schemaProperties: {
      group: { type: 'object', properties: { queueId: { type: 'string' }, mediaType: { type: 'string' } } },
      data: { type: 'array', items: { type: 'object' } },
    },
  },
];

function conversationSchema(): Record<string, unknown> {
  return {
    id: { type: 'string' },
    maxParticipants: { type: 'integer' },
    recordingState: { type: 'string' },
    participants: { type: 'array', items: { type: 'object' } },
  };
}

export function availableTopics(): AvailableTopic[] {
  return FAMILIES.map((family) => ({
    id: family.id,
    description: family.description,
    requiresPermissions: family.permissions,
    requiresCurrentUser: false,
    requiresCurrentUserOrPermission: family.currentUserOrPermission,
    transports: ['All'],
    visibility: 'Public',
    topicParameters: ['id'],
    enforced: true,
    schema: { type: 'object', properties: family.schemaProperties },
  }));
}
