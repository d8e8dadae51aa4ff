import * as v from '../schema/valibot';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OperatorSettings } from '../ports/settings-store';
import { requestRecordSchema, type RequestRecord } from '../requests/record';
import { batchGetConsistent } from './batch-get';
import { keys } from './keys';
import { storedSettingsSchema } from './settings-schema';

/** What a provision batch reads before it reserves: its requests (by id) and the operator settings. */
export interface BatchReads {
  readonly records: Map<string, RequestRecord>;
  readonly settings: OperatorSettings;
  /**
   * The settings' version, what a reservation on a snapshot checks them by: 0 when never written,
   * undefined when the item has none (see below).
   */
  readonly settingsVersion: number | undefined;
}

/** Reads a batch's requests and the operator settings together (at most 99 requests). */
export type BatchReader = (requestIds: readonly string[]) => Promise<BatchReads>;

/**
 * The requests of a provision batch and the operator settings in one strongly consistent
 * BatchGetItem: they are items of one table, and the batch needs both before it reserves. Each is
 * read as RequestStore.getMany and OperatorSettingsStore.get read it (the same schemas); one call
 * where those are two saves a DynamoDB call per batch (docs/performance.md).
 */
export function createBatchReader(db: DynamoDBDocumentClient, tableName: string): BatchReader {
  return async (requestIds) => {
    const settingsKey = keys.settings();
    const wanted = [...[...new Set(requestIds)].map((requestId) => keys.request(requestId)), settingsKey];
    if (wanted.length > 100) throw new TypeError('a batch read reads at most 99 requests at once');
    const records = new Map<string, RequestRecord>();
    let settingsItem: Record<string, unknown> | undefined;
    for (const item of await batchGetConsistent(
      db,
      tableName,
      wanted,
      'BatchGetItem (requests and settings)',
    )) {
      if (item.pk === settingsKey.pk && item.sk === settingsKey.sk) settingsItem = item;
      else {
        const record = v.parse(requestRecordSchema, item);
        records.set(record.requestId, record);
      }
    }
    const { version, ...settings } = v.parse(storedSettingsSchema, settingsItem ?? {});
    // An item with no version (written by hand, or before versions) cannot be told from its next
    // hand edit: none is given, and nothing is taken on a snapshot with these settings.
    const versioned = settingsItem === undefined || typeof settingsItem.version === 'number';
    return { records, settings, settingsVersion: versioned ? version : undefined };
  };
}
