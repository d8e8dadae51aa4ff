import { createSettingsStore } from '../../../shared/state';
import { testStateClient } from '../../support/aws';
import { describeSettingsStoreContract } from '../../contracts/settings-store';
import { dynamoDbSubject } from './dynamodb-subject';

const db = testStateClient();
afterAll(() => db.destroy());

describeSettingsStoreContract(
  'DynamoDB Local',
  dynamoDbSubject(db, (client, tableName) => ({ settings: createSettingsStore(client, tableName) })),
);
