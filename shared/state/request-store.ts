import * as v from '../schema/valibot';
import type { Clock } from '../ports/clock';
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { requestRecordSchema, type RequestRecord, type RequestStatus } from '../requests/record';
import { requestDigest } from '../requests/digest';
import { assertAllowed } from '../requests/transitions';
import type {
  CreateResult,
  EndOptions,
  EndResult,
  MoveResult,
  RequestFields,
  RequestStore,
  TransitionMove,
  TransitionOptions,
} from '../ports/request-store';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { batchGetConsistent } from './batch-get';
import { StateUnavailableError } from './errors';
import { keys } from './keys';
import { endRequest, settleMove, transitionFields } from './moves';
import { tableShape } from './table';
import { on } from '../ports/operation';
import { tableAccess, type TableAccess } from './table-access';
import { readListedRequests, type OnUnreadable } from './listed-requests';

export type { CreateResult, EndResult, RequestStore } from '../ports/request-store';

const parseRecord = (item: Record<string, unknown> | undefined): RequestRecord | undefined =>
  item ? v.parse(requestRecordSchema, item) : undefined;

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

/** Tries of a write that meets a transaction on its item (`send`). */
const maxConflictRetries = 5;

/**
 * One call, its failures as the port says. A write that meets a transaction holding its item
 * (a provision batch recording its pods, a slot taken or given back) is refused with
 * TransactionConflictException, not applied, and the SDK does not retry it: it is tried again
 * here, a few times with jitter, rather than failed (a webhook would answer 503 for it).
 */
async function send<T>(operation: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      if (error instanceof TransactionConflictException && attempt < maxConflictRetries) {
        await sleep(10 + Math.random() * 20 * attempt);
        continue;
      }
      throw new StateUnavailableError(operation, { cause: error });
    }
  }
}
export async function getRequest(table: TableAccess, requestId: string): Promise<RequestRecord | undefined> {
  const { Item } = await send('GetItem', () =>
    table.db.send(
      new GetCommand({ TableName: table.tableName, Key: keys.request(requestId), ConsistentRead: true }),
    ),
  );
  return parseRecord(Item);
}

/**
 * Several requests in one strongly consistent BatchGetItem (up to 100): a provision batch reads
 * its records in one call. Keys DynamoDB leaves unprocessed (throttling) are asked again.
 */
export async function getRequests(
  table: TableAccess,
  requestIds: readonly string[],
): Promise<Map<string, RequestRecord>> {
  const wanted = [...new Set(requestIds)].map((requestId) => keys.request(requestId));
  if (wanted.length > 100) throw new TypeError('getMany reads at most 100 requests at once');
  const found = new Map<string, RequestRecord>();
  for (const item of await batchGetConsistent(table.db, table.tableName, wanted, 'BatchGetItem')) {
    const record = parseRecord(item);
    if (record) found.set(record.requestId, record);
  }
  return found;
}

/** Writes a new request only if none exists for the id; an existing one (or tombstone) comes back. */
export async function createRequestIfAbsent(
  table: TableAccess,
  record: RequestRecord,
): Promise<CreateResult> {
  try {
    await send('PutItem', () =>
      table.db.send(
        new PutCommand({
          TableName: table.tableName,
          // The digest of its unchanging fields: what a provision message's snapshot is checked against.
          Item: { ...keys.request(record.requestId), ...record, digest: requestDigest(record) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return { created: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const existing = await getRequest(table, record.requestId);
    if (!existing) throw new StateUnavailableError('PutItem', { cause: error });
    return { created: false, existing };
  }
}

/**
 * The conditional update of one move, stamped `moment`: what `transition` sends alone and
 * `transitionAll` in a transaction. Undefined fields are left as they are (DynamoDB refuses
 * undefined expression values).
 */
function moveUpdate(table: TableAccess, move: TransitionMove, moment: Date) {
  const { requestId, from, to, set = {}, remove = [], options = {} } = move;
  const fields = transitionFields(set, to, moment);
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
  const conditions = [`attribute_exists(pk) AND #status IN (${allowed.join(', ')})`];
  if (options.holdsSlot !== undefined) {
    values[':holdsSlot'] = options.holdsSlot;
    conditions.push('holdsSlot = :holdsSlot');
  }
  if (options.noAttemptAt !== undefined) {
    values[':noAttemptAt'] = options.noAttemptAt;
    conditions.push('(attribute_not_exists(attemptUntilMs) OR attemptUntilMs <= :noAttemptAt)');
  }
  if (options.ciNotEnded) conditions.push('attribute_not_exists(ciEnded)');
  return {
    TableName: table.tableName,
    Key: keys.request(requestId),
    UpdateExpression: `SET ${assignments.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * A move whose condition failed may have been applied all the same, its answer lost and the SDK's
 * retry finding the request moved: if it is where this move put it, at this move's very
 * statusSince, the move is this caller's (a wake that thought otherwise sent no message, and the
 * build sat).
 */
async function madeBefore(
  table: TableAccess,
  move: TransitionMove,
  moment: Date,
): Promise<RequestRecord | undefined> {
  const current = await getRequest(table, move.requestId);
  return current?.status === move.to && current.statusSince === moment.toISOString() ? current : undefined;
}

/**
 * Moves a request from one of `from` to `to`, setting `set` too. Returns the new record, or
 * undefined when the request was not in one of `from` (someone else moved it first). A move
 * applied although DynamoDB answered with an error is this caller's all the same. `from` comes from
 * the state table (shared/requests/transitions.ts), which must allow each of its states into `to`;
 * an empty `from` (the state read is not one the move starts from) never applies, and writes nothing.
 */
export async function transitionRequest(
  table: TableAccess,
  requestId: string,
  from: readonly RequestStatus[],
  to: RequestStatus,
  set: RequestFields = {},
  remove: readonly (keyof RequestRecord)[] = [],
  options: TransitionOptions = {},
): Promise<RequestRecord | undefined> {
  assertAllowed(from, to);
  if (from.length === 0) return undefined;
  const move = { requestId, from, to, set, remove, options };
  const moment = table.now();
  try {
    const { Attributes } = await send('UpdateItem', () =>
      table.db.send(new UpdateCommand({ ...moveUpdate(table, move, moment), ReturnValues: 'ALL_NEW' })),
    );
    return parseRecord(Attributes);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return madeBefore(table, move, moment);
  }
}

/**
 * `transition`, its answer as a MoveResult. After a transaction that failed without an answer,
 * `earlier` is its moment: a move found made then was made by that transaction, this caller's.
 */
const settle = (table: TableAccess, move: TransitionMove, earlier?: Date): Promise<MoveResult> =>
  settleMove(
    async (...args) =>
      (await transitionRequest(table, ...args)) ??
      (earlier ? await madeBefore(table, move, earlier) : undefined),
    move,
  );

/**
 * The moves in one TransactWriteItems when they all apply (one call for a provision batch's
 * records, where each would be an UpdateItem). A transaction is all or nothing, so when some fail
 * their condition the others, which were not applied, go again without them; any other failure
 * (throttling, a conflict with another writer) sends each move alone, each answering for itself.
 * One token for all attempts: a transaction the SDK retries after a lost answer is answered as
 * done, not failed on its own writes.
 */
export async function transitionRequests(
  table: TableAccess,
  moves: readonly TransitionMove[],
): Promise<MoveResult[]> {
  for (const move of moves) assertAllowed(move.from, move.to);
  const results = new Map<TransitionMove, MoveResult>();
  await moveTogether(table, moves, results);
  return moves.map(
    (move) =>
      results.get(move) ?? {
        kind: 'failed',
        error: new StateUnavailableError('TransactWriteItems', { cause: new Error('a move was not made') }),
      },
  );
}

/** transitionAll's work, each move's result put in `results`. */
async function moveTogether(
  table: TableAccess,
  moves: readonly TransitionMove[],
  results: Map<TransitionMove, MoveResult>,
): Promise<void> {
  const alone = async (move: TransitionMove, earlier?: Date): Promise<void> => {
    results.set(move, await settle(table, move, earlier));
  };
  // An empty from-list never applies (transition's rule), and writes nothing.
  for (const move of moves) if (move.from.length === 0) results.set(move, { kind: 'not-moved' });
  const live = moves.filter((move) => move.from.length > 0);
  // DynamoDB refuses a transaction naming one item twice, or of more than 100 items.
  const distinct = new Set(live.map((move) => move.requestId)).size === live.length;
  if (live.length < 2 || !distinct || live.length > 100) {
    await Promise.all(live.map((move) => alone(move)));
    return;
  }
  const moment = table.now();
  try {
    await table.db.send(
      new TransactWriteCommand({
        TransactItems: live.map((move) => ({ Update: moveUpdate(table, move, moment) })),
        ClientRequestToken: randomUUID(),
      }),
    );
    for (const move of live) results.set(move, { kind: 'moved' });
  } catch (error) {
    const reasons =
      error instanceof TransactionCanceledException
        ? (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None')
        : [];
    const decided =
      reasons.length === live.length &&
      reasons.some((code) => code === 'ConditionalCheckFailed') &&
      reasons.every((code) => code === 'None' || code === 'ConditionalCheckFailed');
    if (!decided) {
      await Promise.all(live.map((move) => alone(move, moment)));
      return;
    }
    const failedCondition = (move: TransitionMove): boolean =>
      reasons[live.indexOf(move)] === 'ConditionalCheckFailed';
    await Promise.all([
      ...live.filter(failedCondition).map(async (move) => {
        try {
          results.set(move, { kind: (await madeBefore(table, move, moment)) ? 'moved' : 'not-moved' });
        } catch (readError) {
          results.set(move, { kind: 'failed', error: readError });
        }
      }),
      moveTogether(
        table,
        live.filter((move) => !failedCondition(move)),
        results,
      ),
    ]);
  }
}

/**
 * Records that the CI ended (or started) a build. An unknown build gets a tombstone in that state,
 * so a queued event that arrives later creates nothing. A request holding a slot is not ended
 * here: the caller gives the slot back, which ends it in the same write (shared/state/moves.ts).
 */
export const markRequestEnded = (
  table: TableAccess,
  tombstone: RequestRecord,
  to: 'completed' | 'cancelled' | 'started',
  options?: EndOptions,
): Promise<EndResult> =>
  endRequest(
    {
      get: (requestId) => getRequest(table, requestId),
      createIfAbsent: (record) => createRequestIfAbsent(table, record),
      transition: (...args) => transitionRequest(table, ...args),
    },
    tombstone,
    to,
    table.now,
    options,
  );

/**
 * Takes over a request whose agent a previous attempt was making (it holds the slot), unless that
 * attempt may still be running (`attemptUntilMs` not yet past): then false. On success this attempt
 * holds it for `seconds`.
 */
export async function claimAttempt(table: TableAccess, requestId: string, seconds: number): Promise<boolean> {
  const nowMs = table.now().getTime();
  const until = nowMs + seconds * 1000;
  try {
    await send('UpdateItem', () =>
      table.db.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: keys.request(requestId),
          UpdateExpression: 'SET attemptUntilMs = :until',
          ConditionExpression:
            '#status = :provisioning AND holdsSlot = :true AND (attribute_not_exists(attemptUntilMs) OR attemptUntilMs < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':provisioning': 'provisioning',
            ':true': true,
            ':now': nowMs,
            ':until': until,
          },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** An attempt that stops (a transient failure) lets the next one take over at once. Best effort. */
export async function endAttempt(table: TableAccess, requestId: string): Promise<void> {
  await table.db
    .send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.request(requestId),
        UpdateExpression: 'REMOVE attemptUntilMs',
        ConditionExpression: 'attribute_exists(pk)',
      }),
    )
    .catch(() => undefined);
}

/** Requests in one state, oldest first (the byStatus index): all pages, or the first `limit`. */
export async function listRequestsByStatus(
  table: TableAccess,
  status: RequestStatus,
  limit?: number,
  onUnreadable?: OnUnreadable,
): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await send('Query', () =>
      table.db.send(
        new QueryCommand({
          TableName: table.tableName,
          IndexName: tableShape.statusIndex.name,
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status },
          ExclusiveStartKey: startKey,
          ...(limit ? { Limit: limit - records.length } : {}),
        }),
      ),
    );
    records.push(...readListedRequests(page.Items ?? [], onUnreadable));
    startKey = page.LastEvaluatedKey;
  } while (startKey && (limit === undefined || records.length < limit));
  return records;
}

/**
 * Requests in the table, every operation. Every write that decides something is conditional
 * (docs/state.md); the contract is the port's (shared/ports/request-store.ts). A Lambda that calls
 * only some binds those alone (shared/runtime/*-ports.ts), so its bundle holds no other.
 */
export function createRequestStore(db: DynamoDBDocumentClient, tableName: string, now?: Clock): RequestStore {
  const table = tableAccess(db, tableName, now);
  return {
    get: on(table, getRequest),
    getMany: on(table, getRequests),
    createIfAbsent: on(table, createRequestIfAbsent),
    transition: on(table, transitionRequest),
    transitionAll: on(table, transitionRequests),
    end: on(table, markRequestEnded),
    listByStatus: on(table, listRequestsByStatus),
    claimAttempt: on(table, claimAttempt),
    endAttempt: on(table, endAttempt),
  };
}
