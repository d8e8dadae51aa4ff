import * as v from '../../schema/valibot';
import {
  listReadAtMost,
  type ListQuery,
  type PagePosition,
  type RequestQueries,
} from '../../ports/request-queries';
import { requestRecordSchema, type RequestRecord, type RequestStatus } from '../../requests/record';
import type { CiSource } from '../../sources/names';
import type { MemoryItem, MemoryTable } from './table';

/**
 * The byStatus index in memory: the items in `status` holding both index keys, oldest `statusSince`
 * first (ties by key, a fixed order as DynamoDB's).
 */
function indexed(table: MemoryTable, status: RequestStatus): MemoryItem[] {
  return table
    .items()
    .filter((item) => item.status === status && typeof item.statusSince === 'string')
    .sort((a, b) => compare([a.statusSince as string, a.pk], [b.statusSince as string, b.pk]));
}

const compare = (a: readonly string[], b: readonly string[]): number => {
  for (const [index, value] of a.entries()) {
    const other = b[index] ?? '';
    if (value !== other) return value < other ? -1 : 1;
  }
  return 0;
};

/**
 * The request queries in memory: the port's contract (shared/ports/request-queries.ts) over the same
 * in-memory table as the other twins, held to the same suite (test/contracts/request-queries.ts).
 * The whole index is one page here, so `countBacklog` stops only between states, as DynamoDB does
 * while a state's requests fit in one page.
 */
export function createMemoryRequestQueries(table: MemoryTable): RequestQueries {
  /** One call: fails first if the table fails, and answers asynchronously as a network call would. */
  async function call<T>(body: () => T): Promise<T> {
    table.check('Query (byStatus)');
    return body();
  }

  function countByStatus(status: RequestStatus): Promise<number> {
    return call(() => indexed(table, status).length);
  }

  async function countBacklog(source: CiSource, atMost: number): Promise<number> {
    let count = 0;
    for (const status of ['queued', 'waiting'] as const) {
      count += await call(() => indexed(table, status).filter((item) => item.source === source).length);
      if (count >= atMost) return count;
    }
    return count;
  }

  async function listPage(request: ListQuery): Promise<{ items: RequestRecord[]; next?: PagePosition }> {
    const readAtMost = request.readAtMost ?? listReadAtMost;
    let read = 0;
    const items: RequestRecord[] = [];
    const first = request.after ? request.statuses.indexOf(request.after.status) : 0;
    for (const [index, status] of request.statuses.entries()) {
      if (index < first) continue;
      const after = index === first ? request.after?.key : undefined;
      const page = await call(() => indexed(table, status));
      for (const item of page) {
        if (
          after &&
          compare([item.statusSince as string, item.pk], [after.statusSince ?? '', after.pk ?? '']) <= 0
        )
          continue;
        read += 1;
        const next = {
          status,
          key: { pk: item.pk, sk: item.sk, status, statusSince: item.statusSince as string },
        };
        const kept =
          (request.template === undefined || item.template === request.template) &&
          (request.source === undefined || item.source === request.source);
        if (kept) items.push(v.parse(requestRecordSchema, item));
        // As DynamoDB does: a full page, or all one call may read, ends after the last item read.
        if ((kept && items.length === request.limit) || read >= readAtMost) return { items, next };
      }
    }
    return { items };
  }

  return { countByStatus, countBacklog, listPage };
}
