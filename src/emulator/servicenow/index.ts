export { startServiceNowFake } from './servicenow-fake.ts';
export type {
  FakeImportSet,
  FakeImportSetTable,
  FakeRequestLog,
  FakeRow,
  ServiceNowFake,
  ServiceNowFakeOptions,
  ServiceNowFault,
  ServiceNowFaultKind,
} from './fake-options.ts';
