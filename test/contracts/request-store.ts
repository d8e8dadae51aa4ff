import { endedRequestTtlSeconds, type RequestRecord, type RequestStatus } from '../../shared/requests';
import type { RequestStore, TransitionMove } from '../../shared/ports/request-store';
import { StateUnavailableError } from '../../shared/state/errors';
import { queuedRecord } from '../support/records';
import { withSubject, type MakeSubject } from './harness';

/**
 * The request store's contract (shared/ports/request-store.ts), run against every adapter: DynamoDB
 * on DynamoDB Local (test/integration/state) and the in-memory twin (test/unit/state).
 */
export function describeRequestStoreContract(
  name: string,
  make: MakeSubject<{ readonly requests: RequestStore }>,
): void {
  describe(`RequestStore contract: ${name}`, () => {
    const current = withSubject(make);
    const iso = (): string => current().clock.now().toISOString();
    const holding = (requestId: string, overrides: Partial<RequestRecord> = {}): RequestRecord =>
      queuedRecord(requestId, { status: 'provisioning', holdsSlot: true, template: 'tpl', ...overrides });

    describe('get and createIfAbsent', () => {
      it('answers undefined for a request that does not exist', async () => {
        expect(await current().requests.get('nope')).toBeUndefined();
      });

      it('writes a new request, reads it back as written, and refuses to overwrite it', async () => {
        const { requests } = current();
        expect(await requests.createIfAbsent(queuedRecord('r-1'))).toEqual({ created: true });
        expect(await requests.get('r-1')).toEqual(queuedRecord('r-1'));
        const second = await requests.createIfAbsent(queuedRecord('r-1', { status: 'failed' }));
        expect(second).toEqual({ created: false, existing: queuedRecord('r-1') });
        expect((await requests.get('r-1'))?.status).toBe('queued');
      });

      it('stores no undefined field', async () => {
        const { requests } = current();
        await requests.createIfAbsent(queuedRecord('r-undef', { reason: undefined, podName: undefined }));
        const record = await requests.get('r-undef');
        expect(Object.keys(record!)).not.toContain('reason');
        expect(Object.keys(record!)).not.toContain('podName');
      });

      it('lets exactly one of many concurrent writers create the record', async () => {
        const { requests } = current();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            requests.createIfAbsent(queuedRecord('r-race', { jobKey: `writer-${index}` })),
          ),
        );
        expect(results.filter((result) => result.created)).toHaveLength(1);
        const stored = await requests.get('r-race');
        expect(results.filter((result) => !result.created)).toEqual(
          Array.from({ length: 19 }, () => ({ created: false, existing: stored })),
        );
      });
    });

    describe('getMany', () => {
      it('answers the requests that exist, each once, by id', async () => {
        const { requests } = current();
        await requests.createIfAbsent(queuedRecord('m-1'));
        await requests.createIfAbsent(queuedRecord('m-2', { status: 'waiting' }));
        const found = await requests.getMany(['m-1', 'm-2', 'm-1', 'm-missing']);
        expect([...found.keys()].sort()).toEqual(['m-1', 'm-2']);
        expect(found.get('m-2')).toEqual(queuedRecord('m-2', { status: 'waiting' }));
        expect((await requests.getMany([])).size).toBe(0);
      });

      it('reads 100 distinct requests at once, and refuses more', async () => {
        const { requests } = current();
        const ids = Array.from({ length: 101 }, (_, index) => `many-${index}`);
        expect((await requests.getMany([...ids.slice(0, 100), 'many-0'])).size).toBe(0);
        await expect(requests.getMany(ids)).rejects.toThrow(TypeError);
      });
    });

    describe('transition', () => {
      it('moves a request only from the states it names, and leaves it otherwise', async () => {
        const { requests, clock } = current();
        await requests.createIfAbsent(queuedRecord('t-1'));
        clock.advance(1000);
        expect(await requests.transition('t-1', ['waiting'], 'queued')).toBeUndefined();
        expect(await requests.get('t-1')).toEqual(queuedRecord('t-1'));
        const moved = await requests.transition('t-1', ['queued'], 'waiting', { reason: 'at cap' });
        expect(moved).toEqual(
          queuedRecord('t-1', { status: 'waiting', statusSince: iso(), reason: 'at cap' }),
        );
        expect(await requests.get('t-1')).toEqual(moved);
      });

      it('sets the defined fields of set, leaves undefined ones, and removes what it is told to', async () => {
        const { requests, clock } = current();
        await requests.createIfAbsent(holding('t-2', { reason: 'old', attemptUntilMs: 5, podName: 'pc-a' }));
        clock.advance(1000);
        const moved = await requests.transition(
          't-2',
          ['provisioning'],
          'provisioned',
          { podName: 'pc-b', reason: undefined, url: 'https://agent' },
          ['attemptUntilMs'],
        );
        expect(moved).toEqual(
          holding('t-2', {
            status: 'provisioned',
            statusSince: iso(),
            reason: 'old',
            podName: 'pc-b',
            url: 'https://agent',
          }),
        );
        expect(Object.keys(moved!)).not.toContain('attemptUntilMs');
      });

      it('sets the TTL moving into a terminal state, and only then', async () => {
        const { requests, clock } = current();
        await requests.createIfAbsent(queuedRecord('t-3'));
        const waiting = await requests.transition('t-3', ['queued'], 'waiting');
        expect(waiting?.expiresAt).toBeUndefined();
        clock.advance(60_000);
        const failed = await requests.transition('t-3', ['waiting'], 'failed', { reason: 'expired' });
        expect(failed).toMatchObject({ status: 'failed', statusSince: iso(), reason: 'expired' });
        expect(failed?.expiresAt).toBe(clock.seconds() + endedRequestTtlSeconds);
      });

      it('never creates a request that does not exist', async () => {
        const { requests } = current();
        expect(await requests.transition('t-none', ['queued'], 'waiting')).toBeUndefined();
        expect(await requests.get('t-none')).toBeUndefined();
      });

      it('throws for a move the state table does not allow, writing nothing', async () => {
        const { requests } = current();
        await requests.createIfAbsent(queuedRecord('t-4', { status: 'completed' }));
        await expect(requests.transition('t-4', ['completed'], 'provisioned')).rejects.toThrow(TypeError);
        await expect(requests.transition('t-4', ['queued', 'completed'], 'waiting')).rejects.toThrow(
          /no request move from completed to waiting/,
        );
        expect((await requests.get('t-4'))?.status).toBe('completed');
      });

      it('never applies an empty from-list', async () => {
        const { requests } = current();
        await requests.createIfAbsent(queuedRecord('t-5'));
        expect(await requests.transition('t-5', [], 'waiting')).toBeUndefined();
        expect((await requests.get('t-5'))?.status).toBe('queued');
      });

      it('with holdsSlot, leaves a request whose holdsSlot is not that', async () => {
        const { requests } = current();
        await requests.createIfAbsent(holding('t-6'));
        const noSlot = { holdsSlot: false };
        expect(await requests.transition('t-6', ['provisioning'], 'failed', {}, [], noSlot)).toBeUndefined();
        expect((await requests.get('t-6'))?.status).toBe('provisioning');
        await requests.createIfAbsent(queuedRecord('t-7', { status: 'provisioning' }));
        expect(await requests.transition('t-7', ['provisioning'], 'failed', {}, [], noSlot)).toMatchObject({
          status: 'failed',
        });
        // `holdsSlot: true` (a move keeping a slot) leaves one that holds none.
        await requests.createIfAbsent(queuedRecord('t-8', { status: 'started' }));
        expect(
          await requests.transition('t-8', ['started'], 'ending', {}, [], { holdsSlot: true }),
        ).toBeUndefined();
        expect((await requests.get('t-8'))?.status).toBe('started');
        // Without it, the slot is no condition.
        expect(await requests.transition('t-6', ['provisioning'], 'failed')).toMatchObject({
          status: 'failed',
          holdsSlot: true,
        });
      });

      it('with noAttemptAt, leaves a request an attempt holds past that moment', async () => {
        const { requests, clock } = current();
        const at = clock.now().getTime();
        await requests.createIfAbsent(holding('t-9', { attemptUntilMs: at + 1 }));
        const noAttempt = { holdsSlot: true, noAttemptAt: at };
        expect(
          await requests.transition('t-9', ['provisioning'], 'ending', {}, [], noAttempt),
        ).toBeUndefined();
        expect((await requests.get('t-9'))?.status).toBe('provisioning');
        // An attempt whose time ran out by then, or none at all, is no condition.
        await requests.createIfAbsent(holding('t-10', { attemptUntilMs: at }));
        expect(
          await requests.transition('t-10', ['provisioning'], 'ending', {}, [], noAttempt),
        ).toMatchObject({
          status: 'ending',
        });
        await requests.createIfAbsent(
          queuedRecord('t-11', { status: 'started', holdsSlot: true, template: 'tpl' }),
        );
        expect(await requests.transition('t-11', ['started'], 'ending', {}, [], noAttempt)).toMatchObject({
          status: 'ending',
        });
      });

      it('with ciNotEnded, leaves a request the CI ended', async () => {
        const { requests } = current();
        await requests.createIfAbsent(queuedRecord('t-12', { status: 'failed', ciEnded: 'cancelled' }));
        expect(
          await requests.transition('t-12', ['failed'], 'queued', {}, ['expiresAt'], { ciNotEnded: true }),
        ).toBeUndefined();
        expect((await requests.get('t-12'))?.status).toBe('failed');
        await requests.createIfAbsent(queuedRecord('t-13', { status: 'failed' }));
        expect(
          await requests.transition('t-13', ['failed'], 'queued', {}, ['expiresAt'], { ciNotEnded: true }),
        ).toMatchObject({ status: 'queued' });
      });

      it('of concurrent movers from one state, exactly one moves the request', async () => {
        const { requests, clock } = current();
        await requests.createIfAbsent(queuedRecord('t-race'));
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, index) => {
            clock.advance(1);
            return requests.transition('t-race', ['queued'], 'waiting', { reason: `mover-${index}` });
          }),
        );
        const winners = results.filter((result) => result !== undefined);
        expect(winners).toHaveLength(1);
        expect(await requests.get('t-race')).toEqual(winners[0]);
      });

      it('answers a move found made at its very statusSince as made (an answer DynamoDB lost)', async () => {
        const { requests, clock } = current();
        await requests.createIfAbsent(queuedRecord('t-lost'));
        const moved = await requests.transition('t-lost', ['queued'], 'waiting');
        expect(await requests.transition('t-lost', ['queued'], 'waiting')).toEqual(moved);
        clock.advance(1);
        expect(await requests.transition('t-lost', ['queued'], 'waiting')).toBeUndefined();
      });
    });

    describe('transitionAll', () => {
      const recordPod = (requestId: string, from: RequestStatus[] = ['provisioning']): TransitionMove => ({
        requestId,
        from,
        to: 'provisioned',
        set: { podName: `pod-${requestId}` },
        remove: ['attemptUntilMs'],
      });

      it('moves every request that is where its move starts, each as transition would', async () => {
        const { requests, clock } = current();
        for (const id of ['ta-1', 'ta-2', 'ta-3'])
          await requests.createIfAbsent(holding(id, { attemptUntilMs: 1 }));
        clock.advance(1);
        const moved = { kind: 'moved' };
        expect(await requests.transitionAll(['ta-1', 'ta-2', 'ta-3'].map((id) => recordPod(id)))).toEqual([
          moved,
          moved,
          moved,
        ]);
        const record = await requests.get('ta-2');
        expect(record).toMatchObject({ status: 'provisioned', podName: 'pod-ta-2', statusSince: iso() });
        expect(record).not.toHaveProperty('attemptUntilMs');
      });

      it('answers for each move on its own: one not where it starts leaves the others moved', async () => {
        const { requests, clock } = current();
        for (const id of ['tb-1', 'tb-2']) await requests.createIfAbsent(holding(id));
        await requests.createIfAbsent(queuedRecord('tb-queued'));
        clock.advance(1);
        const results = await requests.transitionAll([
          recordPod('tb-1'),
          recordPod('tb-queued'),
          recordPod('tb-missing'),
          recordPod('tb-2', []),
          recordPod('tb-2'),
        ]);
        expect(results.map((result) => result.kind)).toEqual([
          'moved',
          'not-moved',
          'not-moved',
          'not-moved',
          'moved',
        ]);
        expect((await requests.get('tb-queued'))?.status).toBe('queued');
        expect(await requests.get('tb-missing')).toBeUndefined();
        expect((await requests.get('tb-2'))?.status).toBe('provisioned');
      });

      it('throws for a move the state table does not allow, writing nothing', async () => {
        const { requests } = current();
        await requests.createIfAbsent(holding('tc-1'));
        await expect(
          requests.transitionAll([
            recordPod('tc-1'),
            { requestId: 'tc-1', from: ['completed'], to: 'queued' },
          ]),
        ).rejects.toThrow(TypeError);
        expect((await requests.get('tc-1'))?.status).toBe('provisioning');
      });
    });

    describe('end', () => {
      it('leaves a tombstone for a build that ends before it was queued, and the late queued event finds it', async () => {
        const { requests, clock } = current();
        expect(await requests.end(queuedRecord('e-early'), 'completed')).toEqual({ kind: 'tombstoned' });
        const late = await requests.createIfAbsent(queuedRecord('e-early'));
        expect(late).toEqual({
          created: false,
          existing: queuedRecord('e-early', {
            status: 'completed',
            tombstone: true,
            expiresAt: clock.seconds() + endedRequestTtlSeconds,
          }),
        });
      });

      it('with tombstone: false, writes nothing for an unknown build and ends a known one as ever', async () => {
        const { requests } = current();
        const quiet = { tombstone: false };
        expect(await requests.end(queuedRecord('e-quiet'), 'started', quiet)).toEqual({ kind: 'unknown' });
        expect(await requests.get('e-quiet')).toBeUndefined();
        await requests.createIfAbsent(queuedRecord('e-known'));
        expect(await requests.end(queuedRecord('e-known'), 'completed', quiet)).toMatchObject({
          kind: 'ended',
          record: { status: 'completed' },
        });
      });

      it('ends a known request once; a second end reports it already ended', async () => {
        const { requests, clock } = current();
        await requests.createIfAbsent(queuedRecord('e-1'));
        clock.advance(1000);
        expect(await requests.end(queuedRecord('e-1'), 'cancelled')).toEqual({
          kind: 'ended',
          record: queuedRecord('e-1', {
            status: 'cancelled',
            statusSince: iso(),
            expiresAt: clock.seconds() + endedRequestTtlSeconds,
          }),
        });
        expect(await requests.end(queuedRecord('e-1'), 'completed')).toMatchObject({
          kind: 'already-ended',
          record: { status: 'cancelled' },
        });
      });

      it("notes the CI's end on a failed request, which stays failed with its reason; a start notes nothing", async () => {
        const { requests } = current();
        await requests.createIfAbsent(
          queuedRecord('e-failed', { status: 'failed', reason: 'the CI refused' }),
        );
        const started = await requests.end(queuedRecord('e-failed'), 'started');
        expect(started).toMatchObject({ kind: 'already-ended', record: { status: 'failed' } });
        expect(started).not.toHaveProperty('noted');
        expect((await requests.get('e-failed'))?.ciEnded).toBeUndefined();
        // `noted` for the first end only: the webhook sends its message then (bug 60).
        expect(await requests.end(queuedRecord('e-failed'), 'cancelled')).toMatchObject({
          kind: 'already-ended',
          noted: true,
          record: { status: 'failed', reason: 'the CI refused', ciEnded: 'cancelled' },
        });
        // The first word stands.
        expect(await requests.end(queuedRecord('e-failed'), 'completed')).not.toHaveProperty('noted');
        expect(await requests.get('e-failed')).toMatchObject({ status: 'failed', ciEnded: 'cancelled' });
      });

      it('leaves a request that holds a slot to the caller', async () => {
        const { requests } = current();
        await requests.createIfAbsent(holding('e-slot', { status: 'provisioned' }));
        expect(await requests.end(queuedRecord('e-slot'), 'completed')).toEqual({
          kind: 'holds-slot',
          record: holding('e-slot', { status: 'provisioned' }),
        });
        expect((await requests.get('e-slot'))?.status).toBe('provisioned');
      });

      it('starts a request elsewhere without a TTL, and tombstones an unknown one as started', async () => {
        const { requests } = current();
        await requests.createIfAbsent(queuedRecord('e-start', { status: 'waiting' }));
        const started = await requests.end(queuedRecord('e-start'), 'started');
        expect(started).toMatchObject({ kind: 'ended', record: { status: 'started' } });
        expect((await requests.get('e-start'))?.expiresAt).toBeUndefined();
        expect(await requests.end(queuedRecord('e-unknown'), 'started')).toEqual({ kind: 'tombstoned' });
        expect(await requests.get('e-unknown')).toMatchObject({ status: 'started', tombstone: true });
      });
    });

    describe('claimAttempt and endAttempt', () => {
      it('takes over a provisioning request holding its slot while no attempt holds it', async () => {
        const { requests, clock } = current();
        await requests.createIfAbsent(holding('a-1'));
        expect(await requests.claimAttempt('a-1', 30)).toBe(true);
        expect((await requests.get('a-1'))?.attemptUntilMs).toBe(clock.now().getTime() + 30_000);
        expect(await requests.claimAttempt('a-1', 30)).toBe(false);
        clock.advance(30_000);
        // Until the very millisecond, the attempt may still run.
        expect(await requests.claimAttempt('a-1', 30)).toBe(false);
        clock.advance(1);
        expect(await requests.claimAttempt('a-1', 10)).toBe(true);
        expect((await requests.get('a-1'))?.attemptUntilMs).toBe(clock.now().getTime() + 10_000);
      });

      it('never takes over a request in another state, without a slot, or missing', async () => {
        const { requests } = current();
        await requests.createIfAbsent(holding('a-prov', { status: 'provisioned' }));
        await requests.createIfAbsent(queuedRecord('a-noslot', { status: 'provisioning' }));
        expect(await requests.claimAttempt('a-prov', 30)).toBe(false);
        expect(await requests.claimAttempt('a-noslot', 30)).toBe(false);
        expect(await requests.claimAttempt('a-missing', 30)).toBe(false);
        expect(await requests.get('a-missing')).toBeUndefined();
        expect((await requests.get('a-prov'))?.attemptUntilMs).toBeUndefined();
      });

      it('endAttempt lets the next attempt take over at once, and creates nothing', async () => {
        const { requests } = current();
        await requests.createIfAbsent(holding('a-2'));
        expect(await requests.claimAttempt('a-2', 300)).toBe(true);
        await requests.endAttempt('a-2');
        expect((await requests.get('a-2'))?.attemptUntilMs).toBeUndefined();
        expect(await requests.claimAttempt('a-2', 300)).toBe(true);
        await requests.endAttempt('a-missing');
        expect(await requests.get('a-missing')).toBeUndefined();
      });
    });

    describe('listByStatus', () => {
      it('answers one state, oldest first, all or the first limit', async () => {
        const { requests } = current();
        const since = (minute: number) => `2026-11-25T06:${String(minute).padStart(2, '0')}:00.000Z`;
        await requests.createIfAbsent(queuedRecord('l-3', { status: 'waiting', statusSince: since(3) }));
        await requests.createIfAbsent(queuedRecord('l-1', { status: 'waiting', statusSince: since(1) }));
        await requests.createIfAbsent(queuedRecord('l-2', { status: 'waiting', statusSince: since(2) }));
        await requests.createIfAbsent(queuedRecord('l-q', { status: 'queued', statusSince: since(0) }));
        const ids = (records: RequestRecord[]) => records.map((record) => record.requestId);
        expect(ids(await requests.listByStatus('waiting'))).toEqual(['l-1', 'l-2', 'l-3']);
        expect(ids(await requests.listByStatus('waiting', 2))).toEqual(['l-1', 'l-2']);
        expect(ids(await requests.listByStatus('queued'))).toEqual(['l-q']);
        expect(await requests.listByStatus('failed')).toEqual([]);
        expect((await requests.listByStatus('waiting', 1))[0]).toEqual(
          queuedRecord('l-1', { status: 'waiting', statusSince: since(1) }),
        );
      });

      it('throws on an item the schema does not read, or with onUnreadable names it and lists the rest', async () => {
        const { requests } = current();
        const since = (minute: number) => `2026-11-25T06:${String(minute).padStart(2, '0')}:00.000Z`;
        await requests.createIfAbsent(queuedRecord('r-1', { status: 'waiting', statusSince: since(1) }));
        // As a later release might write it: a value this one's schema does not know.
        const later = {
          ...queuedRecord('r-2', { status: 'waiting', statusSince: since(2) }),
          endAs: 'expired',
        };
        await requests.createIfAbsent(later as unknown as RequestRecord);
        await requests.createIfAbsent(queuedRecord('r-3', { status: 'waiting', statusSince: since(3) }));
        await expect(requests.listByStatus('waiting')).rejects.toThrow(/endAs/);
        const unreadable: { requestId: string; problem: string }[] = [];
        const listed = await requests.listByStatus('waiting', undefined, (item) => unreadable.push(item));
        expect(listed.map((record) => record.requestId)).toEqual(['r-1', 'r-3']);
        expect(unreadable).toEqual([
          { requestId: 'r-2', problem: expect.stringMatching(/^endAs: /), holdsSlot: false },
        ]);
        // A limit counts the records listed, not the items read.
        expect((await requests.listByStatus('waiting', 2, () => undefined)).map((r) => r.requestId)).toEqual([
          'r-1',
          'r-3',
        ]);
      });
    });

    describe('when the store fails', () => {
      it('throws StateUnavailableError, but for endAttempt (best effort)', async () => {
        const { requests } = current().subject.unavailable;
        const unavailable = expect.any(StateUnavailableError) as unknown;
        await expect(requests.get('x')).rejects.toEqual(unavailable);
        await expect(requests.getMany(['x'])).rejects.toEqual(unavailable);
        await expect(requests.createIfAbsent(queuedRecord('x'))).rejects.toEqual(unavailable);
        await expect(requests.transition('x', ['queued'], 'waiting')).rejects.toEqual(unavailable);
        await expect(requests.end(queuedRecord('x'), 'completed')).rejects.toEqual(unavailable);
        await expect(requests.claimAttempt('x', 30)).rejects.toEqual(unavailable);
        await expect(requests.listByStatus('queued')).rejects.toEqual(unavailable);
        await expect(requests.endAttempt('x')).resolves.toBeUndefined();
        // Each move answers for itself: failed, with the error transition would have thrown.
        const moves = ['x', 'y'].map((requestId) => ({
          requestId,
          from: ['provisioning' as const],
          to: 'provisioned' as const,
        }));
        expect(await requests.transitionAll(moves)).toEqual([
          { kind: 'failed', error: unavailable },
          { kind: 'failed', error: unavailable },
        ]);
      });
    });
  });
}
