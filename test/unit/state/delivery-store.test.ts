import { createMemoryDeliveryStore } from '../../../shared/state/memory';
import { describeDeliveryStoreContract } from '../../contracts/delivery-store';
import { memorySubject } from './memory-subject';

describeDeliveryStoreContract(
  'in memory',
  memorySubject((table, now) => ({ deliveries: createMemoryDeliveryStore(table, now) })),
);
