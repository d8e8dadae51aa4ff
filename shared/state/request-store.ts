import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  endedRequestTtlSeconds,
  requestRecordSchema,
  terminalStatuses,
  type RequestRecord,
  type RequestStatus,
} from '../requests/record';
import { StateUnavailableError } from './errors';
import { keys } from './keys';
import { tableShape } from './table';

export type CreateResult =
  { readonly created: true } | { readonly created: false; readonly existing: RequestRecord };
export type EndResult =
  | { readonly kind: 'ended'; readonly record: RequestRecord }
  | { readonly kind: 'tombstoned' }
  | { readonly kind: 'already-ended'; readonly record: RequestRecord };

const parseRecord = (item: Record<string, unknown> | undefined): RequestRecord | undefined =>
  item ? requestRecordSchema.parse(item) : undefined;

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

/** Requests in the table. Every write that decides something is conditional (docs/state.md). */
export function createRequestStore(
  db: DynamoDBDocumentClient,
  tableName: string,
  now: () => Date = () => new Date(),
) {
  async function send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw new StateUnavailableError(operation, { cause: error });
    }
  }

  async function get(requestId: string): Promise<RequestRecord | undefined> {
    const { Item } = await send('GetItem', () =>
      db.send(new GetCommand({ TableName: tableName, Key: keys.request(requestId), ConsistentRead: true })),
    );
    return parseRecord(Item);
  }

  /** Writes a new request only if none exists for the id; an existing one (or tombstone) comes back. */
  async function createIfAbsent(record: RequestRecord): Promise<CreateResult> {
    try {
      await send('PutItem', () =>
        db.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...keys.request(record.requestId), ...record },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return { created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await get(record.requestId);
      if (!existing) throw new StateUnavailableError('PutItem', { cause: error });
      return { created: false, existing };
    }
  }

  /**
   * Moves a request from one of `from` to `to`, setting `set` too. Returns the new record, or
   * undefined when the request was not in one of `from` (someone else moved it first).
   */
  async function transition(
    requestId: string,
    from: readonly RequestStatus[],
    to: RequestStatus,
    set: Partial<Omit<RequestRecord, 'requestId' | 'status' | 'statusSince'>> = {},
    remove: readonly (keyof RequestRecord)[] = [],
  ): Promise<RequestRecord | undefined> {
    const at = now().toISOString();
    // Undefined fields are left as they are (DynamoDB refuses undefined expression values).
    const fields: Record<string, unknown> = Object.fromEntries(
      Object.entries({ ...set, status: to, statusSince: at }).filter(([, value]) => value !== undefined),
    );
    if (terminalStatuses.includes(to))
      fields.expiresAt = Math.floor(now().getTime() / 1000) + endedRequestTtlSeconds;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const assignments = Object.entries(fields).map(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:v${index}`] = value;
      return `#f${index} = :v${index}`;
    });
    const removals = remove.map((field, index) => {
      names[`#r${index}`] = field;
      return `#r${index}`;
    });
    const allowed = from.map((status, index) => {
      values[`:from${index}`] = status;
      return `:from${index}`;
    });
    names['#status'] = 'status';
    try {
      const { Attributes } = await send('UpdateItem', () =>
        db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.request(requestId),
            UpdateExpression: `SET ${assignments.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
            ConditionExpression: `attribute_exists(pk) AND #status IN (${allowed.join(', ')})`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return parseRecord(Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Records that the CI ended a build. An unknown build gets a tombstone in that state, so a queued
   * event that arrives later creates nothing.
   */
  async function end(tombstone: RequestRecord, to: 'completed' | 'cancelled'): Promise<EndResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await get(tombstone.requestId);
      if (!current) {
        const created = await createIfAbsent({
          ...tombstone,
          status: to,
          tombstone: true,
          expiresAt: Math.floor(now().getTime() / 1000) + endedRequestTtlSeconds,
        });
        if (created.created) return { kind: 'tombstoned' };
        continue;
      }
      if (terminalStatuses.includes(current.status)) return { kind: 'already-ended', record: current };
      const ended = await transition(current.requestId, [current.status], to);
      if (ended) return { kind: 'ended', record: ended };
    }
    throw new StateUnavailableError('end request (kept changing under us)', { cause: undefined });
  }

  /** Undoes a `createIfAbsent` whose message could not be sent, so the CI's retry starts afresh. */
  async function deleteIfStillQueued(requestId: string): Promise<void> {
    try {
      await send('DeleteItem', () =>
        db.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.request(requestId),
            ConditionExpression: '#status = :queued AND holdsSlot = :false',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':queued': 'queued', ':false': false },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Every request in one state, oldest first (the byStatus index, all pages). */
  async function listByStatus(status: RequestStatus): Promise<RequestRecord[]> {
    const records: RequestRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await send('Query', () =>
        db.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: tableShape.statusIndex.name,
            KeyConditionExpression: '#status = :status',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':status': status },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) records.push(requestRecordSchema.parse(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  return { get, createIfAbsent, transition, end, deleteIfStillQueued, listByStatus };
}

export type RequestStore = ReturnType<typeof createRequestStore>;
