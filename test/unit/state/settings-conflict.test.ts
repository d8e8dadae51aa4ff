import { TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createOperatorSettingsStore } from '../../../shared/state/settings-store';
import { StateUnavailableError } from '../../../shared/state/errors';

/**
 * A provision transaction that checks the settings' version (capacity-store.ts reserveFreshSlot)
 * holds the item for a moment, and DynamoDB answers a write to it meanwhile with a transaction
 * conflict, which the SDK does not retry: an operator's drain must not fail for it. DynamoDB Local
 * does not answer this conflict (300 writes to the item beside four loops of transactions checking
 * it gave none), so the client is mocked here, answering as DynamoDB documents.
 */
describe('the operator settings store, when a provision transaction holds the settings item', () => {
  const conflict = () =>
    new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} });
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
  const mock = mockClient(db);
  afterEach(() => mock.reset());

  it('tries the write again after a transaction conflict, and it lands', async () => {
    mock.on(GetCommand).resolves({ Item: { pk: 'settings', sk: 'runtime', drained: false, version: 3 } });
    mock.on(PutCommand).rejectsOnce(conflict()).rejectsOnce(conflict()).resolves({});
    const settings = createOperatorSettingsStore(db, 'table');
    const { after } = await settings.update((current) => ({ ...current, drained: true }));
    expect(after.drained).toBe(true);
    const puts = mock.commandCalls(PutCommand);
    expect(puts).toHaveLength(3);
    expect(puts[2]?.args[0].input.Item).toMatchObject({ drained: true, version: 4 });
  });

  it('gives up with StateUnavailableError if the conflicts never end', async () => {
    mock.on(GetCommand).resolves({ Item: { pk: 'settings', sk: 'runtime', drained: false, version: 3 } });
    mock.on(PutCommand).rejects(conflict());
    const settings = createOperatorSettingsStore(db, 'table');
    await expect(settings.update((current) => ({ ...current, drained: true }))).rejects.toThrow(
      StateUnavailableError,
    );
  });
});
