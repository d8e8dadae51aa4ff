import { createOperatorSettingsStore } from '../../../shared/state';
import { testStateClient } from '../../support/aws';
import { describeOperatorSettingsStoreContract } from '../../contracts/settings-store';
import { dynamoDbSubject } from './dynamodb-subject';

const db = testStateClient();
afterAll(() => db.destroy());

describeOperatorSettingsStoreContract(
  'DynamoDB Local',
  dynamoDbSubject(db, (client, tableName) => ({ settings: createOperatorSettingsStore(client, tableName) })),
);
