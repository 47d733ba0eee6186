export { createServiceNowSink } from './servicenow-sink.ts';
export type { ServiceNowAuth, ServiceNowBasicAuth, ServiceNowOAuthAuth, ServiceNowSinkOptions } from './options.ts';
export { toServiceNowRecord, type ServiceNowRecord } from './record.ts';
