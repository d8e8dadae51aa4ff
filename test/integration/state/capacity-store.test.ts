import { createCapacityStore, createOperatorSettingsStore, createRequestStore } from '../../../shared/state';
import { testStateClient } from '../../support/aws';
import { describeCapacityStoreContract } from '../../contracts/capacity-store';
import { dynamoDbSubject } from './dynamodb-subject';

const db = testStateClient();
afterAll(() => db.destroy());

// Reservation under concurrency, the caps, all-or-nothing batches, releasing once, the counters and
// their repair: the port's contract, which the in-memory twin is held to as well (test/unit/state).
describeCapacityStoreContract(
  'DynamoDB Local',
  dynamoDbSubject(db, (client, tableName, now) => ({
    requests: createRequestStore(client, tableName, now),
    capacity: createCapacityStore(client, tableName, now),
    settings: createOperatorSettingsStore(client, tableName),
  })),
);
