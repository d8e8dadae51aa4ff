import * as v from '../../schema/valibot';
import type { OperatorSettings, OperatorSettingsStore } from '../../ports/settings-store';
import { StateUnavailableError } from '../errors';
import { keys } from '../keys';
import { maxSettingsUpdateAttempts, operatorSettingsSchema, storedSettingsSchema } from '../settings-schema';
import type { MemoryTable } from './table';

/**
 * The operator settings in memory: the port's contract (shared/ports/settings-store.ts) with the
 * DynamoDB adapter's versioned writes, held to the same suite (test/contracts/settings-store.ts).
 * An update reads, yields, then writes on its version, so concurrent updates race and retry as they
 * do on DynamoDB.
 */
export function createMemoryOperatorSettingsStore(table: MemoryTable): OperatorSettingsStore {
  async function read(): Promise<OperatorSettings & { version: number }> {
    table.check('GetItem (settings)');
    return v.parse(storedSettingsSchema, table.get(keys.settings()) ?? {});
  }

  return {
    async get(): Promise<OperatorSettings> {
      const { version: _version, ...settings } = await read();
      return settings;
    },

    async update(change) {
      for (let attempt = 0; attempt < maxSettingsUpdateAttempts; attempt++) {
        const { version, ...before } = await read();
        const after = v.parse(operatorSettingsSchema, change(before));
        // The write is a separate call, as on DynamoDB: another update may land in between.
        await Promise.resolve();
        table.check('PutItem (settings)');
        const stored = table.get(keys.settings());
        // An item written before versions existed has none: it reads as version 0.
        if (stored !== undefined && stored.version !== undefined && stored.version !== version) continue;
        table.put({ ...keys.settings(), ...after, version: version + 1 });
        return { before, after };
      }
      throw new StateUnavailableError('PutItem (settings kept changing)', { cause: undefined });
    },
  };
}
