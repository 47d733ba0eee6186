import { after, before, describe } from 'node:test';
import { PgLeaseStore } from '../../../src/coordination/pg-lease-store.ts';
import { pgSkip, startPgServer, type PgServer } from '../../helpers/pg-server.ts';
import { leaseStoreContract } from '../../unit/coordination/lease-store-contract.ts';

describe('LeaseStore contract: PgLeaseStore on a real PostgreSQL', { skip: pgSkip() }, () => {
  let server: PgServer | undefined;
  let store: PgLeaseStore | undefined;

  before(async () => {
    server = await startPgServer();
    store = await PgLeaseStore.open({ connectionString: server.url });
  });

  after(async () => {
    await store?.close();
    await server?.stop();
  });

  leaseStoreContract(() => {
    if (!store) throw new Error('PostgreSQL did not start');
    return { store, elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
  });
});
