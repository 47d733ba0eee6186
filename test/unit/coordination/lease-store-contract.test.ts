import { describe } from 'node:test';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { InMemoryLeaseStore } from './in-memory-lease-store.ts';
import { leaseStoreContract } from './lease-store-contract.ts';

describe('LeaseStore contract: InMemoryLeaseStore (the unit tests’ fake)', () => {
  const clock = new ManualClock();
  const store = new InMemoryLeaseStore(clock);
  leaseStoreContract(() => ({ store, elapse: (ms) => clock.advanceAsync(ms) }));
});
