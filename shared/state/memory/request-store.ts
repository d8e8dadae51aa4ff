import * as v from '../../schema/valibot';
import type { Clock } from '../../ports/clock';
import { requestRecordSchema, type RequestRecord, type RequestStatus } from '../../requests/record';
import { requestDigest } from '../../requests/digest';
import { assertAllowed } from '../../requests/transitions';
import type {
  CreateResult,
  MoveResult,
  RequestFields,
  RequestStore,
  TransitionMove,
  TransitionOptions,
} from '../../ports/request-store';
import { StateUnavailableError } from '../errors';
import { keys } from '../keys';
import { endRequest, settleMove, transitionFields } from '../moves';
import type { MemoryItem, MemoryTable } from './table';
import { readListedRequests, type OnUnreadable } from '../listed-requests';

const parseRecord = (item: MemoryItem | undefined): RequestRecord | undefined =>
  item ? v.parse(requestRecordSchema, item) : undefined;

/**
 * The request store in memory: the port's contract (shared/ports/request-store.ts) with the DynamoDB
 * adapter's conditions, held to the same suite (test/contracts/request-store.ts).
 */
export function createMemoryRequestStore(table: MemoryTable, now: Clock = table.now): RequestStore {
  function get(requestId: string): Promise<RequestRecord | undefined> {
    return call('GetItem', () => parseRecord(table.get(keys.request(requestId))));
  }

  function getMany(requestIds: readonly string[]): Promise<Map<string, RequestRecord>> {
    const wanted = [...new Set(requestIds)];
    if (wanted.length > 100)
      return Promise.reject(new TypeError('getMany reads at most 100 requests at once'));
    return call('BatchGetItem', () => {
      const found = new Map<string, RequestRecord>();
      for (const requestId of wanted) {
        const record = parseRecord(table.get(keys.request(requestId)));
        if (record) found.set(record.requestId, record);
      }
      return found;
    });
  }

  function createIfAbsent(record: RequestRecord): Promise<CreateResult> {
    return call('PutItem', () => {
      const existing = parseRecord(table.get(keys.request(record.requestId)));
      if (existing) return { created: false, existing };
      table.put({ ...keys.request(record.requestId), ...record, digest: requestDigest(record) });
      return { created: true };
    });
  }

  async function transition(
    requestId: string,
    from: readonly RequestStatus[],
    to: RequestStatus,
    set: RequestFields = {},
    remove: readonly (keyof RequestRecord)[] = [],
    options: TransitionOptions = {},
  ): Promise<RequestRecord | undefined> {
    assertAllowed(from, to);
    if (from.length === 0) return undefined;
    const moment = now();
    const fields = transitionFields(set, to, moment);
    return call('UpdateItem', () => {
      // DynamoDB refuses an update naming one attribute twice (a validation error, not an answer).
      if (new Set(remove).size !== remove.length || remove.some((field) => field in fields))
        throw new StateUnavailableError('UpdateItem', { cause: new Error('Two document paths overlap') });
      const item = table.get(keys.request(requestId));
      const applies =
        item !== undefined &&
        from.includes(item.status as RequestStatus) &&
        (options.holdsSlot === undefined || item.holdsSlot === options.holdsSlot) &&
        (options.noAttemptAt === undefined ||
          typeof item.attemptUntilMs !== 'number' ||
          item.attemptUntilMs <= options.noAttemptAt) &&
        !(options.ciNotEnded && item.ciEnded !== undefined);
      if (!applies) {
        // As the DynamoDB adapter answers a write whose answer was lost: a request found where this
        // move puts it, at this move's very statusSince, was moved by this caller.
        const current = parseRecord(item);
        return current?.status === to && current.statusSince === moment.toISOString() ? current : undefined;
      }
      const removed = new Set<string>(remove);
      const updated = Object.fromEntries(
        Object.entries({ ...item, ...fields }).filter(([field]) => !removed.has(field)),
      ) as MemoryItem;
      table.put(updated);
      return parseRecord(table.get(keys.request(requestId)));
    });
  }

  const end: RequestStore['end'] = (tombstone, to, options) =>
    endRequest({ get, createIfAbsent, transition }, tombstone, to, now, options);

  function claimAttempt(requestId: string, seconds: number): Promise<boolean> {
    return call('UpdateItem', () => {
      const nowMs = now().getTime();
      const item = table.get(keys.request(requestId));
      if (
        !item ||
        item.status !== 'provisioning' ||
        item.holdsSlot !== true ||
        (item.attemptUntilMs !== undefined &&
          !(typeof item.attemptUntilMs === 'number' && item.attemptUntilMs < nowMs))
      )
        return false;
      table.put({ ...item, attemptUntilMs: nowMs + seconds * 1000 });
      return true;
    });
  }

  async function endAttempt(requestId: string): Promise<void> {
    await call('UpdateItem', () => {
      const item = table.get(keys.request(requestId));
      if (!item) return;
      delete item.attemptUntilMs;
      table.put(item);
    }).catch(() => undefined);
  }

  function listByStatus(
    status: RequestStatus,
    limit?: number,
    onUnreadable?: OnUnreadable,
  ): Promise<RequestRecord[]> {
    return call('Query', () => {
      // The byStatus index holds the items with both of its keys, ordered by statusSince.
      const indexed = table
        .items()
        .filter((item) => item.status === status && typeof item.statusSince === 'string')
        .sort((a, b) =>
          (a.statusSince as string) < (b.statusSince as string)
            ? -1
            : a.statusSince === b.statusSince
              ? 0
              : 1,
        );
      // As a Query with a Limit: without onUnreadable only the first `limit` items are read; with
      // it, the items it leaves out do not count.
      const listed = onUnreadable
        ? readListedRequests(indexed, onUnreadable)
        : readListedRequests(limit ? indexed.slice(0, limit) : indexed);
      return limit ? listed.slice(0, limit) : listed;
    });
  }

  /** One store call: fails first if the table fails, and answers asynchronously as a network call would. */
  async function call<T>(operation: string, body: () => T): Promise<T> {
    table.check(operation);
    return body();
  }

  /** Each move on its own, in order: the memory store has no round trips to save. */
  async function transitionAll(moves: readonly TransitionMove[]): Promise<MoveResult[]> {
    // A move the state table does not allow is a bug in the caller, thrown before anything is written.
    for (const move of moves) assertAllowed(move.from, move.to);
    const results: MoveResult[] = [];
    for (const move of moves) results.push(await settleMove(transition, move));
    return results;
  }

  return {
    get,
    getMany,
    createIfAbsent,
    transition,
    transitionAll,
    end,
    listByStatus,
    claimAttempt,
    endAttempt,
  };
}
