import type { RequestQueries } from '../../shared/ports/request-queries';
import type { RequestStore } from '../../shared/ports/request-store';
import type { RequestRecord } from '../../shared/requests';
import { StateUnavailableError } from '../../shared/state/errors';
import { queuedRecord } from '../support/records';
import { contractEpoch, withSubject, type MakeSubject } from './harness';

/**
 * The request queries' contract (shared/ports/request-queries.ts), run against every adapter:
 * DynamoDB on DynamoDB Local (test/integration/state) and the in-memory twin (test/unit/state). The
 * requests are written through the request store on the same table.
 */
export function describeRequestQueriesContract(
  name: string,
  make: MakeSubject<{ readonly requests: RequestStore; readonly queries: RequestQueries }>,
): void {
  describe(`RequestQueries contract: ${name}`, () => {
    const current = withSubject(make);
    /** `seconds` after the epoch, as an ISO statusSince. */
    const at = (seconds: number): string => new Date(contractEpoch + seconds * 1000).toISOString();
    const seed = async (records: RequestRecord[]): Promise<void> => {
      for (const record of records) await current().requests.createIfAbsent(record);
    };
    const jenkins = (requestId: string, overrides: Partial<RequestRecord> = {}): RequestRecord =>
      queuedRecord(requestId, {
        source: 'jenkins',
        details: { source: 'jenkins', controllerUrl: 'https://ci/', queueItemId: 1, label: 'linux' },
        ...overrides,
      });
    const ids = (records: readonly RequestRecord[]): string[] => records.map((record) => record.requestId);

    describe('countByStatus', () => {
      it('counts the requests in one state, and only those', async () => {
        await seed([
          queuedRecord('c-1'),
          queuedRecord('c-2', { statusSince: at(1) }),
          queuedRecord('c-3', { status: 'waiting' }),
          queuedRecord('c-4', { status: 'completed', tombstone: true }),
        ]);
        const { queries } = current();
        expect(await queries.countByStatus('queued')).toBe(2);
        expect(await queries.countByStatus('waiting')).toBe(1);
        expect(await queries.countByStatus('completed')).toBe(1);
        expect(await queries.countByStatus('failed')).toBe(0);
      });
    });

    describe('countBacklog', () => {
      beforeEach(async () => {
        await seed([
          queuedRecord('b-1'),
          queuedRecord('b-2', { statusSince: at(1) }),
          queuedRecord('b-3', { statusSince: at(2) }),
          queuedRecord('b-4', { status: 'waiting' }),
          queuedRecord('b-5', { status: 'waiting', statusSince: at(1) }),
          queuedRecord('b-6', { status: 'provisioned' }),
          queuedRecord('b-7', { status: 'failed' }),
          jenkins('j-1'),
        ]);
      });

      it("counts a source's queued and waiting requests, and only those", async () => {
        const { queries } = current();
        expect(await queries.countBacklog('generic', 100)).toBe(5);
        expect(await queries.countBacklog('jenkins', 100)).toBe(1);
        expect(await queries.countBacklog('github', 100)).toBe(0);
      });

      it('stops once atMost is reached, counting the queued ones in full before the waiting ones', async () => {
        const { queries } = current();
        // Three queued ones reach 2 before any waiting one is read.
        expect(await queries.countBacklog('generic', 2)).toBe(3);
        expect(await queries.countBacklog('generic', 3)).toBe(3);
        // Not reached among the queued ones: the waiting ones are counted too.
        expect(await queries.countBacklog('generic', 4)).toBe(5);
        expect(await queries.countBacklog('generic', 5)).toBe(5);
        expect(await queries.countBacklog('jenkins', 1)).toBe(1);
      });
    });

    describe('listPage', () => {
      beforeEach(async () => {
        // Written out of order: the index orders them.
        await seed([
          queuedRecord('l-q3', { statusSince: at(30), template: 'a' }),
          queuedRecord('l-q1', { statusSince: at(10), template: 'a' }),
          jenkins('l-q2', { statusSince: at(20), template: 'b' }),
          queuedRecord('l-w2', { status: 'waiting', statusSince: at(5), template: 'b' }),
          queuedRecord('l-w1', { status: 'waiting', statusSince: at(1), template: 'a' }),
          queuedRecord('l-p1', { status: 'provisioned', statusSince: at(0), template: 'a' }),
        ]);
      });

      it('reads the states in the order given, oldest first within each', async () => {
        const { queries } = current();
        const page = await queries.listPage({ statuses: ['waiting', 'queued'], limit: 10 });
        expect(ids(page.items)).toEqual(['l-w1', 'l-w2', 'l-q1', 'l-q2', 'l-q3']);
        expect(page.next).toBeUndefined();
        expect(page.items[0]).toEqual(
          queuedRecord('l-w1', { status: 'waiting', statusSince: at(1), template: 'a' }),
        );
        const queuedFirst = await queries.listPage({ statuses: ['queued', 'waiting'], limit: 10 });
        expect(ids(queuedFirst.items)).toEqual(['l-q1', 'l-q2', 'l-q3', 'l-w1', 'l-w2']);
      });

      it('pages with cursors, across states, with no request twice or left out', async () => {
        const { queries } = current();
        const query = { statuses: ['waiting', 'queued'] as const, limit: 2 };
        const first = await queries.listPage(query);
        expect(ids(first.items)).toEqual(['l-w1', 'l-w2']);
        expect(first.next?.status).toBe('waiting');
        const second = await queries.listPage({ ...query, after: first.next });
        expect(ids(second.items)).toEqual(['l-q1', 'l-q2']);
        expect(second.next?.status).toBe('queued');
        const third = await queries.listPage({ ...query, after: second.next });
        expect(ids(third.items)).toEqual(['l-q3']);
        expect(third.next).toBeUndefined();
      });

      it('answers next for a full page even when nothing follows, and the page after is empty', async () => {
        const { queries } = current();
        const full = await queries.listPage({ statuses: ['waiting'], limit: 2 });
        expect(ids(full.items)).toEqual(['l-w1', 'l-w2']);
        expect(full.next).toBeDefined();
        expect(await queries.listPage({ statuses: ['waiting'], limit: 2, after: full.next })).toEqual({
          items: [],
        });
      });

      it('keeps only the template and source asked for, paging over what it keeps', async () => {
        const { queries } = current();
        const statuses = ['waiting', 'queued', 'provisioned'] as const;
        const a = await queries.listPage({ statuses, template: 'a', limit: 10 });
        expect(ids(a.items)).toEqual(['l-w1', 'l-q1', 'l-q3', 'l-p1']);
        const jenkinsOnes = await queries.listPage({ statuses, source: 'jenkins', limit: 10 });
        expect(ids(jenkinsOnes.items)).toEqual(['l-q2']);
        const both = await queries.listPage({ statuses, template: 'b', source: 'generic', limit: 10 });
        expect(ids(both.items)).toEqual(['l-w2']);
        const firstA = await queries.listPage({ statuses, template: 'a', limit: 2 });
        expect(ids(firstA.items)).toEqual(['l-w1', 'l-q1']);
        const restA = await queries.listPage({ statuses, template: 'a', limit: 2, after: firstA.next });
        expect(ids(restA.items)).toEqual(['l-q3', 'l-p1']);
      });

      it('reads at most readAtMost requests a call: a page may be short, and its next leads on to the rest', async () => {
        const { queries } = current();
        const query = { statuses: ['waiting', 'queued', 'provisioned'] as const, template: 'b', limit: 10 };
        // Reads l-w1 (skipped) and l-w2.
        const first = await queries.listPage({ ...query, readAtMost: 2 });
        expect(ids(first.items)).toEqual(['l-w2']);
        expect(first.next?.status).toBe('waiting');
        // Nothing left of waiting; reads l-q1 (skipped) and l-q2.
        const second = await queries.listPage({ ...query, readAtMost: 2, after: first.next });
        expect(ids(second.items)).toEqual(['l-q2']);
        expect(second.next?.status).toBe('queued');
        // Reads l-q3 and l-p1, both skipped: an empty page that still says where to go on.
        const third = await queries.listPage({ ...query, readAtMost: 2, after: second.next });
        expect(third.items).toEqual([]);
        expect(third.next).toEqual({
          status: 'provisioned',
          key: { pk: 'request#l-p1', sk: 'request', status: 'provisioned', statusSince: at(0) },
        });
        expect(await queries.listPage({ ...query, readAtMost: 2, after: third.next })).toEqual({ items: [] });
        // Read with room to spare, the same query is one page.
        expect(ids((await queries.listPage(query)).items)).toEqual(['l-w2', 'l-q2']);
      });

      it('answers an empty last page for states with no requests', async () => {
        const { queries } = current();
        expect(await queries.listPage({ statuses: ['failed', 'cancelled'], limit: 5 })).toEqual({
          items: [],
        });
        expect(await queries.listPage({ statuses: [], limit: 5 })).toEqual({ items: [] });
      });
    });

    describe('an unreachable table', () => {
      it('throws StateUnavailableError from every query', async () => {
        const { queries } = current().subject.unavailable;
        await expect(queries.countByStatus('queued')).rejects.toThrow(StateUnavailableError);
        await expect(queries.countBacklog('generic', 5)).rejects.toThrow(StateUnavailableError);
        await expect(queries.listPage({ statuses: ['queued'], limit: 5 })).rejects.toThrow(
          StateUnavailableError,
        );
      });
    });
  });
}
