import { createDeliveryStore } from '../../../shared/state';
import { testStateClient } from '../../support/aws';
import { describeDeliveryStoreContract } from '../../contracts/delivery-store';
import { dynamoDbSubject } from './dynamodb-subject';

const db = testStateClient();
afterAll(() => db.destroy());

describeDeliveryStoreContract(
  'DynamoDB Local',
  dynamoDbSubject(db, (client, tableName, now) => ({
    deliveries: createDeliveryStore(client, tableName, now),
  })),
);
