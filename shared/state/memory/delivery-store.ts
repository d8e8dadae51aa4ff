import type { Clock } from '../../ports/clock';
import { deliveryTtlSeconds, type DeliveryStore } from '../../ports/delivery-store';
import { keys } from '../keys';
import type { MemoryTable } from './table';

/**
 * Delivery ids in memory: the port's contract (shared/ports/delivery-store.ts) with the DynamoDB
 * adapter's condition and TTL, held to the same suite (test/contracts/delivery-store.ts).
 */
export function createMemoryDeliveryStore(table: MemoryTable, now: Clock = table.now): DeliveryStore {
  return {
    async seen(source: string, deliveryId: string): Promise<boolean> {
      table.check('GetItem (delivery)');
      return table.get(keys.delivery(source, deliveryId)) !== undefined;
    },
    async remember(source: string, deliveryId: string): Promise<'new' | 'duplicate'> {
      table.check('PutItem (delivery)');
      if (table.get(keys.delivery(source, deliveryId))) return 'duplicate';
      table.put({
        ...keys.delivery(source, deliveryId),
        expiresAt: Math.floor(now().getTime() / 1000) + deliveryTtlSeconds,
      });
      return 'new';
    },
  };
}
