import { createMemoryOperatorSettingsStore } from '../../../shared/state/memory';
import { describeOperatorSettingsStoreContract } from '../../contracts/settings-store';
import { memorySubject } from './memory-subject';

describeOperatorSettingsStoreContract(
  'in memory',
  memorySubject((table) => ({ settings: createMemoryOperatorSettingsStore(table) })),
);
