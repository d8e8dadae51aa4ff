import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../ports/clock';

/**
 * The table a store's operations work on. The request and capacity stores are written as functions
 * of it rather than as closures in a factory, so that each Lambda binds only the operations it calls
 * (shared/runtime/*-ports.ts) and its bundle holds only those: esbuild drops a top-level function
 * nothing uses, never a method of the object a factory returns.
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

/** An operation on `table`, as a store's method. */
export const on =
  <Args extends unknown[], Result>(
    table: TableAccess,
    operation: (table: TableAccess, ...args: Args) => Result,
  ) =>
  (...args: Args): Result =>
    operation(table, ...args);
