import * as v from '../schema/valibot';
import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OperatorSettings, OperatorSettingsStore } from '../ports/settings-store';
import { StateUnavailableError } from './errors';
import { keys } from './keys';
import { maxSettingsUpdateAttempts, operatorSettingsSchema, storedSettingsSchema } from './settings-schema';

export type { OperatorSettings, OperatorSettingsStore } from '../ports/settings-store';

/** The settings item as stored, with its version. */
async function readStored(
  db: DynamoDBDocumentClient,
  tableName: string,
): Promise<OperatorSettings & { version: number }> {
  try {
    const { Item } = await db.send(
      new GetCommand({ TableName: tableName, Key: keys.settings(), ConsistentRead: true }),
    );
    return v.parse(storedSettingsSchema, Item ?? {});
  } catch (error) {
    throw new StateUnavailableError('GetItem (settings)', { cause: error });
  }
}

/**
 * The settings' `get` alone: what provision and the reaper call, without the update that only ops
 * loads (its bundle holds no other).
 */
export function createOperatorSettingsReader(
  db: DynamoDBDocumentClient,
  tableName: string,
): Pick<OperatorSettingsStore, 'get'> {
  return {
    async get(): Promise<OperatorSettings> {
      const { version: _version, ...settings } = await readStored(db, tableName);
      return settings;
    },
  };
}

/**
 * Settings operators change at run time (ops `drain`/`resume`, `caps`), one item in the table with a
 * version for optimistic concurrency. The contract is the port's (shared/ports/settings-store.ts).
 */
export function createOperatorSettingsStore(
  db: DynamoDBDocumentClient,
  tableName: string,
): OperatorSettingsStore {
  return {
    ...createOperatorSettingsReader(db, tableName),

    /**
     * Applies `change` to the current settings and writes them only if nobody wrote in between
     * (optimistic concurrency on `version`); on a race it reads again and re-applies. Returns the
     * settings before and after.
     */
    async update(
      change: (current: OperatorSettings) => OperatorSettings,
    ): Promise<{ before: OperatorSettings; after: OperatorSettings }> {
      for (let attempt = 0; attempt < maxSettingsUpdateAttempts; attempt++) {
        const { version, ...before } = await readStored(db, tableName);
        const after = v.parse(operatorSettingsSchema, change(before));
        try {
          await db.send(
            new PutCommand({
              TableName: tableName,
              Item: { ...keys.settings(), ...after, version: version + 1 },
              // An item written before versions existed has none: it reads as version 0.
              ConditionExpression:
                'attribute_not_exists(pk) OR attribute_not_exists(version) OR version = :version',
              ExpressionAttributeValues: { ':version': version },
            }),
          );
          return { before, after };
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) continue;
          // A provision transaction checking the settings' version holds the item for a moment
          // (capacity-store.ts reserveFreshSlot): wait a little and try again, as for a lost race.
          if (error instanceof TransactionConflictException) {
            await sleep(Math.random() * 50 * (attempt + 1));
            continue;
          }
          throw new StateUnavailableError('PutItem (settings)', { cause: error });
        }
      }
      throw new StateUnavailableError('PutItem (settings kept changing)', { cause: undefined });
    },
  };
}
