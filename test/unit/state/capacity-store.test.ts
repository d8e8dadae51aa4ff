import {
  createMemoryCapacityStore,
  createMemoryOperatorSettingsStore,
  createMemoryRequestStore,
} from '../../../shared/state/memory';
import { describeCapacityStoreContract } from '../../contracts/capacity-store';
import { memorySubject } from './memory-subject';

describeCapacityStoreContract(
  'in memory',
  memorySubject((table, now) => ({
    requests: createMemoryRequestStore(table, now),
    capacity: createMemoryCapacityStore(table, now),
    settings: createMemoryOperatorSettingsStore(table),
  })),
);
