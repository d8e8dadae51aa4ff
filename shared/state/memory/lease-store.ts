import type { Clock } from '../../ports/clock';
import type { LeaseStore } from '../../ports/lease-store';
import { keys } from '../keys';
import type { MemoryTable } from './table';

/**
 * Leases in memory: the port's contract (shared/ports/lease-store.ts) with the DynamoDB adapter's
 * conditions, held to the same suite (test/contracts/lease-store.ts).
 */
export function createMemoryLeaseStore(table: MemoryTable, now: Clock = table.now): LeaseStore {
  return {
    async acquire(name: string, holder: string, seconds: number): Promise<boolean> {
      table.check('PutItem (lease)');
      const at = Math.floor(now().getTime() / 1000);
      const held = table.get(keys.lease(name));
      const free =
        held === undefined ||
        (typeof held.expiresAt === 'number' && held.expiresAt < at) ||
        held.holder === holder;
      if (!free) return false;
      table.put({ ...keys.lease(name), holder, expiresAt: at + seconds });
      return true;
    },
    async release(name: string, holder: string): Promise<void> {
      try {
        table.check('DeleteItem (lease)');
        if (table.get(keys.lease(name))?.holder === holder) table.delete(keys.lease(name));
      } catch {
        // Best effort, as the port says: the lease expires by itself.
      }
    },
  };
}
