import { createMemorySettingsStore } from '../../../shared/state/memory';
import { describeSettingsStoreContract } from '../../contracts/settings-store';
import { memorySubject } from './memory-subject';

describeSettingsStoreContract(
  'in memory',
  memorySubject((table) => ({ settings: createMemorySettingsStore(table) })),
);
