import * as v from '../schema/valibot';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  listReadAtMost,
  type ListQuery,
  type PagePosition,
  type RequestQueries,
} from '../ports/request-queries';
import { requestRecordSchema, type RequestRecord, type RequestStatus } from '../requests/record';
import type { CiSource } from '../sources/names';
import { StateUnavailableError } from './errors';
import { keys } from './keys';
import { tableShape } from './table';

export type { ListQuery, PagePosition, RequestQueries } from '../ports/request-queries';

const indexKeyOf = (record: RequestRecord): Record<string, string> => ({
  ...keys.request(record.requestId),
  status: record.status,
  statusSince: record.statusSince,
});

/** The byStatus index key of a query's LastEvaluatedKey: the table's key and the index's. */
const indexKeyIn = (key: Record<string, unknown>): Record<string, string> => ({
  pk: String(key.pk),
  sk: String(key.sk),
  status: String(key.status),
  statusSince: String(key.statusSince),
});

/**
 * The operators' read side of the requests (ops `status`, `list`) and the webhook's backlog count,
 * on the byStatus index; the contract is the port's (shared/ports/request-queries.ts).
 */
export function createRequestQueries(db: DynamoDBDocumentClient, tableName: string): RequestQueries {
  async function query(
    input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName' | 'IndexName'>,
  ) {
    try {
      return await db.send(
        new QueryCommand({ TableName: tableName, IndexName: tableShape.statusIndex.name, ...input }),
      );
    } catch (error) {
      throw new StateUnavailableError('Query (byStatus)', { cause: error });
    }
  }

  /** How many requests are in `status` (a COUNT query: no items are read back). */
  async function countByStatus(status: RequestStatus): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await query({
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
      });
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  /**
   * Up to `limit` requests in the given states, oldest first within each, filtered by template and
   * source, reading at most `readAtMost`; `next` says where the following page starts (absent on
   * the last page).
   */
  async function listPage(request: ListQuery): Promise<{ items: RequestRecord[]; next?: PagePosition }> {
    const readAtMost = request.readAtMost ?? listReadAtMost;
    let read = 0;
    const items: RequestRecord[] = [];
    const first = request.after ? request.statuses.indexOf(request.after.status) : 0;
    const filters: string[] = [];
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {};
    if (request.template !== undefined) {
      filters.push('#template = :template');
      names['#template'] = 'template';
      values[':template'] = request.template;
    }
    if (request.source !== undefined) {
      filters.push('#source = :source');
      names['#source'] = 'source';
      values[':source'] = request.source;
    }
    for (const [index, status] of request.statuses.entries()) {
      if (index < first) continue;
      let startKey: Record<string, unknown> | undefined =
        index === first && request.after ? { ...request.after.key } : undefined;
      do {
        const page = await query({
          KeyConditionExpression: '#status = :status',
          ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':status': status },
          ExclusiveStartKey: startKey,
          // Evaluated items, before the filter: a query that reaches it answers a LastEvaluatedKey.
          // Unfiltered, every item read is kept, so read no more than the page still needs (not a
          // whole 1 MB page for `list --limit 20`).
          Limit: Math.max(
            1,
            Math.min(readAtMost - read, filters.length > 0 ? readAtMost : request.limit - items.length),
          ),
        });
        read += page.ScannedCount ?? 0;
        for (const item of page.Items ?? []) {
          const record = v.parse(requestRecordSchema, item);
          items.push(record);
          // Full: resume right after this item, wherever the page it came from ended.
          if (items.length === request.limit) return { items, next: { status, key: indexKeyOf(record) } };
        }
        startKey = page.LastEvaluatedKey;
        // Read all one call may: the next page starts after the last request read, kept or not.
        if (startKey && read >= readAtMost) return { items, next: { status, key: indexKeyIn(startKey) } };
      } while (startKey);
    }
    return { items };
  }

  /**
   * How many of a source's requests wait for an agent (queued or waiting), counted up to `atMost`
   * and no further: the webhook's backlog cap (shared/webhook/backlog.ts) needs only to know whether
   * the cap is reached, and stopping there bounds what a flood costs to read.
   */
  async function countBacklog(source: CiSource, atMost: number): Promise<number> {
    let count = 0;
    for (const status of ['queued', 'waiting'] as const) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await query({
          KeyConditionExpression: '#status = :status',
          FilterExpression: '#source = :source',
          ExpressionAttributeNames: { '#status': 'status', '#source': 'source' },
          ExpressionAttributeValues: { ':status': status, ':source': source },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        });
        count += page.Count ?? 0;
        if (count >= atMost) return count;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return count;
  }

  return { countByStatus, countBacklog, listPage };
}
