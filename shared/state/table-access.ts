import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../ports/clock';

/**
 * The table a store's operations work on: the request and capacity stores are written as functions
 * of it, so that each Lambda binds only those it calls (shared/ports/operation.ts).
 */
export interface TableAccess {
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now: Clock;
}

export const tableAccess = (
  db: DynamoDBDocumentClient,
  tableName: string,
  now: Clock = systemClock,
): TableAccess => ({ db, tableName, now });
