import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface StateClientOptions {
  readonly region: string;
  /** DynamoDB Local in `pitcrew dev` and tests; unset on AWS. */
  readonly endpoint?: string;
}

/** A document client that drops `undefined` attributes, so optional fields never reach the wire as NULL. */
export function createStateClient(options: StateClientOptions): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ region: options.region, endpoint: options.endpoint });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
