import type { RequestRecord, RequestStatus } from '../requests/record';
import type { CiSource } from '../sources/names';

/** Where a page ended: the state it was reading and the last item's keys on the byStatus index. */
export interface PagePosition {
  readonly status: RequestStatus;
  readonly key: Readonly<Record<string, string>>;
}

export interface ListQuery {
  /** Read in this order; a page may span several. */
  readonly statuses: readonly RequestStatus[];
  readonly template?: string;
  readonly source?: CiSource;
  readonly limit: number;
  readonly after?: PagePosition;
  /** At most this many requests read, kept or not, in one call: `listReadAtMost` when absent. */
  readonly readAtMost?: number;
}

/**
 * How many requests one `listPage` call reads at most, before the template and source filters: a
 * filter that keeps few of many would otherwise read the whole state in one call (a month of a busy
 * site's ended builds), past the ops function's timeout. About 5 MB of items on DynamoDB.
 */
export const listReadAtMost = 5000;

/**
 * The operators' read side of the requests (ops `status`, `list`) and the webhook's backlog count,
 * on the byStatus index: eventually consistent, ordered by `statusSince` (oldest first) within a
 * state. Kept apart from the request store, which holds the writes that decide things. Anything
 * going wrong with the store (throttling, network, a missing table) throws `StateUnavailableError`
 * (shared/state/errors.ts). Adapters: DynamoDB (shared/state/request-queries.ts), in memory
 * (shared/state/memory/request-queries.ts); both are held to test/contracts/request-queries.ts.
 */
export interface RequestQueries {
  /** How many requests are in `status` (tombstones included: they are requests). */
  countByStatus(status: RequestStatus): Promise<number>;

  /**
   * How many of a source's requests wait for an agent (queued or waiting), counted up to `atMost`
   * and no further: the webhook's backlog cap (shared/webhook/backlog.ts) needs only to know whether
   * the cap is reached. Below `atMost` the answer is exact; at or above it, it is at least `atMost`
   * and at most the exact count. The count stops at the end of the index page (DynamoDB: 1 MB) on
   * which it reached `atMost`, so queued requests are counted in full (page by page) before any
   * waiting one is read: with 3 queued and 2 waiting, `atMost` 2 answers 3.
   */
  countBacklog(source: CiSource, atMost: number): Promise<number>;

  /**
   * Up to `limit` requests in `statuses`, read in that order, oldest `statusSince` first within
   * each, keeping only those of `template` and `source` when given. A full page (`limit` items)
   * answers `next`, where the following page starts (pass it as `after`), even when nothing
   * follows (that page is then empty). So does a call that read `readAtMost` requests: its page
   * may be short, even empty, when the filters skipped most of them. A page without `next` is the
   * last. `after` must come from a page of the same query.
   */
  listPage(request: ListQuery): Promise<{ items: RequestRecord[]; next?: PagePosition }>;
}
