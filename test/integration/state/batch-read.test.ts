import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createBatchReader } from '../../../shared/state/batch-read';
import { keys } from '../../../shared/state/keys';
import { createOperatorSettingsStore, createRequestStore } from '../../../shared/state';
import { testStateClient } from '../../support/aws';
import { queuedRecord } from '../../support/records';
import { countingClient, scratchTable } from './dynamodb-subject';

const db = testStateClient();
afterAll(() => db.destroy());

describe("a provision batch's reads, in one BatchGetItem (DynamoDB Local)", () => {
  const table = scratchTable(db);
  /** The reader over a counting client (dynamodb-subject.ts). */
  const counted = () => {
    const { sent, client } = countingClient(db);
    return { sent, readBatch: createBatchReader(client, table.tableName()) };
  };

  it('reads what getMany and settings.get read, in one call', async () => {
    const requests = createRequestStore(db, table.tableName());
    const settings = createOperatorSettingsStore(db, table.tableName());
    const ids = ['read-1', 'read-2', 'read-3'];
    for (const id of ids) await requests.createIfAbsent(queuedRecord(id));
    // No settings item yet: the defaults, as settings.get answers them.
    const { sent, readBatch } = counted();
    const before = await readBatch([...ids, 'read-missing', 'read-1']);
    expect(sent).toEqual(['BatchGet']);
    expect(before.settings).toEqual(await settings.get());
    expect(before.settingsVersion).toBe(0);
    expect(before.records).toEqual(await requests.getMany(ids));
    expect([...before.records.keys()].sort()).toEqual(ids);

    await settings.update((current) => ({ ...current, drained: true, globalCap: 7 }));
    const after = await readBatch(ids);
    expect(after.settings).toEqual(await settings.get());
    expect(after.settings).toMatchObject({ drained: true, globalCap: 7 });
    expect(after.settings).not.toHaveProperty('version');
    expect(after.settingsVersion).toBe(1);

    // An item with no version (written by hand) gives none: a snapshot's reservation cannot rely on it.
    await db.send(
      new PutCommand({
        TableName: table.tableName(),
        Item: { ...keys.settings(), drained: false, templateCaps: {} },
      }),
    );
    expect((await readBatch(ids)).settingsVersion).toBeUndefined();
  });

  it('refuses more requests than one call can carry with the settings', async () => {
    const { readBatch } = counted();
    await expect(readBatch(Array.from({ length: 100 }, (_, index) => `many-${index}`))).rejects.toThrow(
      TypeError,
    );
  });
});
