import {
  HEARTBEAT_MESSAGE,
  HEARTBEAT_TOPIC,
  PONG_MESSAGE,
  type NotificationFrame,
  type ResultFrame,
  type SystemMessageBody,
} from '../genesys/wire.ts';
import { newCorrelationId } from './ids.ts';

/** Exact frames from genesys-api.md §2.2, serialised once. */
export const HEARTBEAT_FRAME = JSON.stringify({
  topicName: HEARTBEAT_TOPIC,
  eventBody: { message: HEARTBEAT_MESSAGE },
});
export const PONG_FRAME = JSON.stringify({ topicName: HEARTBEAT_TOPIC, eventBody: { message: PONG_MESSAGE } });

/** The only organisation the emulator hosts. */
export const ORGANIZATION_ID = '6b4c1a2e-0000-4000-8000-e0e0e0e0e0e0';

export const MISSING_DATA_MESSAGE = 'Required data missing from subscribe request.';

export function eventFrame(topicName: string, eventBody: unknown, correlationId: string, sequence: number): string {
  const frame: NotificationFrame = {
    topicName,
    version: '2',
    eventBody,
    metadata: { CorrelationId: correlationId, emulatorSequence: sequence },
  };
  return JSON.stringify(frame);
}

/**
 * The same text as `eventFrame`, from the topic and body already serialised: a publish of N events with one body
 * serialises the body once, not N times (the firehose of bench/delivery.ts must not be the bottleneck).
 */
export function eventFrameFromJson(
  topicJson: string,
  bodyJson: string,
  correlationId: string,
  sequence: number,
): string {
  const metadata = `{"CorrelationId":${JSON.stringify(correlationId)},"emulatorSequence":${sequence}}`;
  return `{"topicName":${topicJson},"version":"2","eventBody":${bodyJson},"metadata":${metadata}}`;
}

/** A `v2.system.*` frame; bodies follow the SystemMessage schema (field-level shape is [U]). */
export function systemFrame(topicName: string, body: SystemMessageBody): string {
  const correlationId = newCorrelationId();
  const eventBody: SystemMessageBody = { correlationId, organizationId: ORGANIZATION_ID, ...body };
  return JSON.stringify({ topicName, version: '2', eventBody, metadata: { CorrelationId: correlationId } });
}

export function resultFrame(frame: ResultFrame): string {
  return JSON.stringify(frame);
}

export function missingDataFrame(correlationId: string | undefined): string {
  return resultFrame({
    ...(correlationId === undefined ? {} : { correlationId }),
    topics: [],
    result: '400',
    status: 'error',
    message: MISSING_DATA_MESSAGE,
  });
}
