import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { queueLimits } from '../../shared/queue';
import { createTableInput, tableShape } from '../../shared/state';

export interface LocalAwsEndpoints {
  readonly sqsEndpoint: string;
  readonly dynamoDbEndpoint: string;
  readonly region?: string;
}

export interface LocalAwsResources {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly tableName: string;
}

/**
 * Creates, on the local servers, the queue, dead-letter queue and table that serverless.yml declares
 * for AWS, with the same redrive policy, visibility timeout and key schema. Idempotent.
 * `prefix` keeps parallel test files apart (`pitcrew-<prefix>-provision`).
 */
export async function createLocalAwsResources(
  endpoints: LocalAwsEndpoints,
  prefix: string,
  /** Tests shorten it so a failed message comes back in seconds; everything else uses limits.json. */
  overrides: { visibilityTimeoutSeconds?: number } = {},
): Promise<LocalAwsResources> {
  const region = endpoints.region ?? 'us-east-1';
  const sqs = new SQSClient({ region, endpoint: endpoints.sqsEndpoint });
  const dynamo = new DynamoDBClient({ region, endpoint: endpoints.dynamoDbEndpoint });
  try {
    const dlq = await sqs.send(
      new CreateQueueCommand({
        QueueName: `pitcrew-${prefix}-provision-dlq`,
        Attributes: { MessageRetentionPeriod: String(queueLimits.deadLetterRetentionSeconds) },
      }),
    );
    const dlqUrl = required(dlq.QueueUrl, 'CreateQueue returned no QueueUrl for the DLQ');
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: `pitcrew-${prefix}-provision`,
        Attributes: {
          VisibilityTimeout: String(
            overrides.visibilityTimeoutSeconds ?? queueLimits.queueVisibilityTimeoutSeconds,
          ),
          MessageRetentionPeriod: String(queueLimits.queueRetentionSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: Attributes?.QueueArn,
            maxReceiveCount: queueLimits.queueMaxReceiveCount,
          }),
        },
      }),
    );

    const tableName = `pitcrew-${prefix}`;
    try {
      await dynamo.send(new CreateTableCommand(createTableInput(tableName)));
      await dynamo.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: tableShape.ttlAttribute, Enabled: true },
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    return { queueUrl: required(queue.QueueUrl, 'CreateQueue returned no QueueUrl'), dlqUrl, tableName };
  } finally {
    sqs.destroy();
    dynamo.destroy();
  }
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new Error(message);
  return value;
}
