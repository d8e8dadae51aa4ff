import { createMemoryLeaseStore } from '../../../shared/state/memory';
import { describeLeaseStoreContract } from '../../contracts/lease-store';
import { memorySubject } from './memory-subject';

describeLeaseStoreContract(
  'in memory',
  memorySubject((table, now) => ({ leases: createMemoryLeaseStore(table, now) })),
);
