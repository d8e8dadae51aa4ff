import { SQSClient } from '@aws-sdk/client-sqs';

export interface QueueClientOptions {
  readonly region: string;
  /** ElasticMQ in `pitcrew dev` and tests; unset on AWS. */
  readonly endpoint?: string;
}

export const createQueueClient = (options: QueueClientOptions): SQSClient =>
  new SQSClient({ region: options.region, endpoint: options.endpoint });
