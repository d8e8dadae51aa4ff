import { systemClock, type Clock } from '../ports/clock';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateUnavailableError } from './errors';
import { keys } from './keys';
import { deliveryTtlSeconds, type DeliveryStore } from '../ports/delivery-store';

export { deliveryTtlSeconds } from '../ports/delivery-store';
export type { DeliveryStore } from '../ports/delivery-store';

/**
 * Webhook delivery ids seen, for deduplication (a conditional put with a TTL). The contract is the
 * port's (shared/ports/delivery-store.ts).
 */
export function createDeliveryStore(
  db: DynamoDBDocumentClient,
  tableName: string,
  now: Clock = systemClock,
): DeliveryStore {
  return {
    /** Whether a delivery id was handled already (strongly consistent read). */
    async seen(source: string, deliveryId: string): Promise<boolean> {
      try {
        const { Item } = await db.send(
          new GetCommand({
            TableName: tableName,
            Key: keys.delivery(source, deliveryId),
            ConsistentRead: true,
          }),
        );
        return Item !== undefined;
      } catch (error) {
        throw new StateUnavailableError('GetItem (delivery)', { cause: error });
      }
    },
    /** 'new' the first time a delivery id is seen, 'duplicate' after. */
    async remember(source: string, deliveryId: string): Promise<'new' | 'duplicate'> {
      try {
        await db.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...keys.delivery(source, deliveryId),
              expiresAt: Math.floor(now().getTime() / 1000) + deliveryTtlSeconds,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return 'new';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'duplicate';
        throw new StateUnavailableError('PutItem (delivery)', { cause: error });
      }
    },
  };
}
