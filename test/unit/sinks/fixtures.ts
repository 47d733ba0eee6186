import type { RelayEvent } from '../../../src/envelope/envelope.ts';

export const USER_ID = '6a2d4a27-1f7c-4e2b-9d3c-0e3f6b1a9c11';

/** A presence event with a distinct key per `n`. */
export function makeEvent(n: number, overrides: Partial<RelayEvent> = {}): RelayEvent {
  return {
    topicName: `v2.users.${USER_ID}.presence`,
    version: '2',
    eventBody: { id: `${USER_ID}`, presenceDefinition: { systemPresence: 'Available' }, seq: n },
    metadata: { CorrelationId: `corr-${n}` },
    relay: {
      receivedAt: new Date(Date.UTC(2026, 10, 24, 12, 0, n % 60)).toISOString(),
      channelId: 'streaming-0-abc',
      key: `key-${String(n).padStart(4, '0')}`,
    },
    ...overrides,
  };
}

export function makeEvents(count: number, from = 0): RelayEvent[] {
  return Array.from({ length: count }, (_, i) => makeEvent(from + i));
}
