import { createMemoryTable, type MemoryTable } from '../../../shared/state/memory';
import type { MakeSubject } from '../../contracts/harness';

/**
 * The contract suites' subject on the in-memory twins: the stores on a fresh table, the same stores
 * on a table that fails every call.
 */
export function memorySubject<Stores>(
  build: (table: MemoryTable, now: () => Date) => Stores,
): MakeSubject<Stores> {
  return async (now) => {
    const table = createMemoryTable({ now });
    const broken = createMemoryTable({ now });
    broken.failNext();
    return {
      stores: build(table, now),
      unavailable: build(broken, now),
      item: async (key) => table.get(key),
    };
  };
}
