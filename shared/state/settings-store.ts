import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { StateUnavailableError } from './errors';
import { keys } from './keys';

/** Settings operators change at run time (ops `drain`/`resume`, `caps`), stored in the table. */
const runtimeSettingsSchema = z.object({
  drained: z.boolean().default(false),
  globalCap: z.number().int().nonnegative().optional(),
  templateCaps: z.record(z.string(), z.number().int().nonnegative()).default({}),
});
export type RuntimeSettings = z.infer<typeof runtimeSettingsSchema>;

export function createSettingsStore(db: DynamoDBDocumentClient, tableName: string) {
  return {
    async get(): Promise<RuntimeSettings> {
      try {
        const { Item } = await db.send(
          new GetCommand({ TableName: tableName, Key: keys.settings(), ConsistentRead: true }),
        );
        return runtimeSettingsSchema.parse(Item ?? {});
      } catch (error) {
        throw new StateUnavailableError('GetItem (settings)', { cause: error });
      }
    },
  };
}

export type SettingsStore = ReturnType<typeof createSettingsStore>;
