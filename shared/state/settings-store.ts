import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../schema/zod';
import { StateUnavailableError } from './errors';
import { keys } from './keys';

/** Settings operators change at run time (ops `drain`/`resume`, `caps`), stored in the table. */
const runtimeSettingsSchema = z.object({
  drained: z._default(z.boolean(), false),
  globalCap: z.optional(z.int().check(z.nonnegative())),
  templateCaps: z._default(z.record(z.string(), z.int().check(z.nonnegative())), {}),
});
export type RuntimeSettings = z.infer<typeof runtimeSettingsSchema>;

/** The item also carries a version, so two operators changing settings at once never lose a change. */
const storedSchema = z.extend(runtimeSettingsSchema, { version: z._default(z.int(), 0) });

const maxUpdateAttempts = 5;

export function createSettingsStore(db: DynamoDBDocumentClient, tableName: string) {
  async function read(): Promise<z.infer<typeof storedSchema>> {
    try {
      const { Item } = await db.send(
        new GetCommand({ TableName: tableName, Key: keys.settings(), ConsistentRead: true }),
      );
      return storedSchema.parse(Item ?? {});
    } catch (error) {
      throw new StateUnavailableError('GetItem (settings)', { cause: error });
    }
  }

  return {
    async get(): Promise<RuntimeSettings> {
      const { version: _version, ...settings } = await read();
      return settings;
    },

    /**
     * Applies `change` to the current settings and writes them only if nobody wrote in between
     * (optimistic concurrency on `version`); on a race it reads again and re-applies. Returns the
     * settings before and after.
     */
    async update(
      change: (current: RuntimeSettings) => RuntimeSettings,
    ): Promise<{ before: RuntimeSettings; after: RuntimeSettings }> {
      for (let attempt = 0; attempt < maxUpdateAttempts; attempt++) {
        const { version, ...before } = await read();
        const after = runtimeSettingsSchema.parse(change(before));
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
          throw new StateUnavailableError('PutItem (settings)', { cause: error });
        }
      }
      throw new StateUnavailableError('PutItem (settings kept changing)', { cause: undefined });
    },
  };
}

export type SettingsStore = ReturnType<typeof createSettingsStore>;
