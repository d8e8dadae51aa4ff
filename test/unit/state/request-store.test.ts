import { createMemoryRequestStore } from '../../../shared/state/memory';
import { describeRequestStoreContract } from '../../contracts/request-store';
import { memorySubject } from './memory-subject';

describeRequestStoreContract(
  'in memory',
  memorySubject((table, now) => ({ requests: createMemoryRequestStore(table, now) })),
);
