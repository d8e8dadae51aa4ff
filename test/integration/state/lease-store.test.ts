import { createLeaseStore } from '../../../shared/state';
import { testStateClient } from '../../support/aws';
import { describeLeaseStoreContract } from '../../contracts/lease-store';
import { dynamoDbSubject } from './dynamodb-subject';

const db = testStateClient();
afterAll(() => db.destroy());

describeLeaseStoreContract(
  'DynamoDB Local',
  dynamoDbSubject(db, (client, tableName, now) => ({ leases: createLeaseStore(client, tableName, now) })),
);
