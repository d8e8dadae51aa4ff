import { createRequestQueries, createRequestStore } from '../../../shared/state';
import { testStateClient } from '../../support/aws';
import { describeRequestQueriesContract } from '../../contracts/request-queries';
import { dynamoDbSubject } from './dynamodb-subject';

const db = testStateClient();
afterAll(() => db.destroy());

// The ops read side and the webhook's backlog count, held to the port's contract, as the in-memory
// twin is (test/unit/state/request-queries.test.ts).
describeRequestQueriesContract(
  'DynamoDB Local',
  dynamoDbSubject(db, (client, tableName, now) => ({
    requests: createRequestStore(client, tableName, now),
    queries: createRequestQueries(client, tableName),
  })),
);
