import { SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { createLocalAwsResources, type LocalAwsResources } from '../../infra/local/aws-resources';
import { createStateClient } from '../../shared/state';
import { requiredTestEnv } from './env';

const region = 'us-east-1';

export const testSqsClient = (): SQSClient =>
  new SQSClient({ region, endpoint: requiredTestEnv('sqsEndpoint') });
export const testStateClient = (): ReturnType<typeof createStateClient> =>
  createStateClient({ region, endpoint: requiredTestEnv('dynamoDbEndpoint') });

/** A queue, DLQ and table of their own for one test file, so files can run in parallel. */
export const createTestAwsResources = (
  overrides: { visibilityTimeoutSeconds?: number } = {},
): Promise<LocalAwsResources> =>
  createLocalAwsResources(
    {
      sqsEndpoint: requiredTestEnv('sqsEndpoint'),
      dynamoDbEndpoint: requiredTestEnv('dynamoDbEndpoint'),
      region,
    },
    `t-${randomUUID().slice(0, 8)}`,
    overrides,
  );
