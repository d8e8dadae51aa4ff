import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateUnavailableError } from './errors';
import { tableShape } from './table';

/** The part of a build request this module stores; the provisioning issue grows it. */
export interface RequestRecord {
  readonly requestId: string;
  readonly source: string;
  readonly jobKey: string;
  readonly status: string;
  readonly createdAt: string;
}

export const requestKey = (requestId: string): { pk: string; sk: string } => ({
  pk: `request#${requestId}`,
  sk: 'request',
});

export type PutRequestResult =
  { readonly created: true } | { readonly created: false; readonly reason: 'exists' };

/**
 * Writes a new request record only if none exists for that id (a conditional put). A duplicate is an
 * expected outcome, so it comes back as a value; anything else is thrown as StateUnavailableError.
 */
export async function putRequestIfAbsent(
  db: DynamoDBDocumentClient,
  tableName: string,
  record: RequestRecord,
): Promise<PutRequestResult> {
  try {
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...requestKey(record.requestId), ...record, statusSince: record.createdAt },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': tableShape.partitionKey },
      }),
    );
    return { created: true };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { created: false, reason: 'exists' };
    throw new StateUnavailableError('PutItem', { cause: error });
  }
}

export async function getRequest(
  db: DynamoDBDocumentClient,
  tableName: string,
  requestId: string,
): Promise<RequestRecord | undefined> {
  try {
    const { Item } = await db.send(
      new GetCommand({ TableName: tableName, Key: requestKey(requestId), ConsistentRead: true }),
    );
    return Item as RequestRecord | undefined;
  } catch (error) {
    throw new StateUnavailableError('GetItem', { cause: error });
  }
}
