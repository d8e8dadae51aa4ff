import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateUnavailableError } from './errors';

/**
 * Items of the table by key, in strongly consistent BatchGetItem calls (at most 100 keys, one call
 * unless DynamoDB leaves keys unprocessed under throttling: those are asked again, with backoff, up
 * to 5 calls). Missing items are left out. `operation` names the call in a StateUnavailableError.
 */
export async function batchGetConsistent(
  db: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  operation: string,
): Promise<Record<string, unknown>[]> {
  if (keys.length > 100) throw new TypeError('BatchGetItem reads at most 100 items at once');
  const items: Record<string, unknown>[] = [];
  let wanted = [...keys];
  for (let attempt = 0; wanted.length > 0; attempt++) {
    if (attempt >= 5)
      throw new StateUnavailableError(`${operation} (keys left unprocessed)`, { cause: undefined });
    let answer;
    try {
      answer = await db.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: wanted, ConsistentRead: true } } }),
      );
    } catch (error) {
      throw new StateUnavailableError(operation, { cause: error });
    }
    items.push(...(answer.Responses?.[tableName] ?? []));
    wanted = answer.UnprocessedKeys?.[tableName]?.Keys ?? [];
    if (wanted.length > 0) await sleep(50 * 2 ** attempt);
  }
  return items;
}
