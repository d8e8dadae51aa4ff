import { systemClock, type Clock } from '../ports/clock';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateUnavailableError } from './errors';
import { keys } from './keys';
import type { LeaseStore } from '../ports/lease-store';

export type { LeaseStore } from '../ports/lease-store';

/**
 * A named lease in the table: one holder at a time until it expires. The reaper takes one per run, so
 * two runs at once (the schedule and an operator's reconcile) never act on the same pods. The
 * contract is the port's (shared/ports/lease-store.ts).
 */
export function createLeaseStore(
  db: DynamoDBDocumentClient,
  tableName: string,
  now: Clock = systemClock,
): LeaseStore {
  return {
    async acquire(name: string, holder: string, seconds: number): Promise<boolean> {
      const at = Math.floor(now().getTime() / 1000);
      try {
        await db.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...keys.lease(name), holder, expiresAt: at + seconds },
            // Or held by this holder already: the SDK retrying a write that was applied but answered
            // with an error must find the lease its own, not lock everyone out until it expires.
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR holder = :holder',
            ExpressionAttributeValues: { ':now': at, ':holder': holder },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw new StateUnavailableError('PutItem (lease)', { cause: error });
      }
    },
    async release(name: string, holder: string): Promise<void> {
      await db
        .send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.lease(name),
            ConditionExpression: 'holder = :holder',
            ExpressionAttributeValues: { ':holder': holder },
          }),
        )
        .catch(() => undefined);
    },
  };
}
