import { endedRequestTtlSeconds, type RequestRecord } from '../../shared/requests';
import type { CapacityStore, SlotBatch, SlotRequest } from '../../shared/ports/capacity-store';
import type { RequestStore } from '../../shared/ports/request-store';
import type { OperatorSettingsStore } from '../../shared/ports/settings-store';
import { requestDigest } from '../../shared/requests/digest';
import { StateUnavailableError } from '../../shared/state/errors';
import { keys } from '../../shared/state/keys';
import { queuedRecord } from '../support/records';
import { withSubject, type MakeSubject } from './harness';

/**
 * The capacity store's contract (shared/ports/capacity-store.ts), run against every adapter: DynamoDB
 * on DynamoDB Local (test/integration/state) and the in-memory twin (test/unit/state). The request
 * store is the same adapter's, on the same table.
 */
export function describeCapacityStoreContract(
  name: string,
  make: MakeSubject<{
    readonly requests: RequestStore;
    readonly capacity: CapacityStore;
    readonly settings: OperatorSettingsStore;
  }>,
): void {
  describe(`CapacityStore contract: ${name}`, () => {
    const current = withSubject(make);

    const slot = (
      requestId: string,
      template: string,
      templateCap: number,
      globalCap = 100,
    ): SlotRequest => ({
      requestId,
      template,
      podName: `pc-${requestId}`,
      attempts: 0,
      globalCap,
      templateCap,
    });
    const many = (ids: string[], template: string, templateCap: number, globalCap = 1000): SlotBatch => ({
      template,
      requests: ids.map((requestId) => ({ requestId, podName: `pc-${requestId}`, attempts: 0 })),
      globalCap,
      templateCap,
    });
    const seed = async (ids: string[], overrides: Partial<RequestRecord> = {}) => {
      for (const id of ids) await current().requests.createIfAbsent(queuedRecord(id, overrides));
    };
    /** A request holding a slot of `template`, its counters moved as `reserve` moves them. */
    const reserved = async (requestId: string, template = 'tpl') => {
      await seed([requestId]);
      expect(await current().capacity.reserve(slot(requestId, template, 100))).toEqual({ reserved: true });
    };
    const statuses = async (ids: string[]) =>
      Promise.all(ids.map(async (id) => (await current().requests.get(id))?.status));

    describe('reserve', () => {
      it('takes a slot of each counter and moves the request to provisioning, in one write', async () => {
        const { requests, capacity, clock } = current();
        await seed(['r-1'], { status: 'waiting', attempts: 2 });
        clock.advance(1000);
        expect(await capacity.reserve({ ...slot('r-1', 'tpl-a', 5), attempts: 2 })).toEqual({
          reserved: true,
        });
        expect(await requests.get('r-1')).toEqual(
          queuedRecord('r-1', {
            status: 'provisioning',
            statusSince: clock.now().toISOString(),
            holdsSlot: true,
            template: 'tpl-a',
            podName: 'pc-r-1',
            attempts: 3,
          }),
        );
        expect(await capacity.readCounters()).toEqual({
          global: 1,
          templates: { 'tpl-a': 1 },
          changes: { global: 1, templates: { 'tpl-a': 1 } },
          driftSeen: { templates: {} },
        });
      });

      it("clears an earlier attempt's agent id, which would name another agent than this attempt's", async () => {
        const { requests, capacity } = current();
        await seed(['again'], { status: 'queued', externalId: '4711', attempts: 1 });
        expect(await capacity.reserve({ ...slot('again', 'tpl', 5), attempts: 1 })).toEqual({
          reserved: true,
        });
        const record = await requests.get('again');
        expect(record).toMatchObject({ status: 'provisioning', attempts: 2 });
        expect(record?.externalId).toBeUndefined();
      });

      it('holds the request for the attempt when told to', async () => {
        const { requests, capacity, clock } = current();
        await seed(['r-att']);
        await capacity.reserve({ ...slot('r-att', 'tpl', 5), attemptSeconds: 90 });
        expect((await requests.get('r-att'))?.attemptUntilMs).toBe(clock.now().getTime() + 90_000);
        // Held: another attempt cannot take it over until then.
        expect(await requests.claimAttempt('r-att', 90)).toBe(false);
      });

      it('never grants more than the template cap to 40 concurrent reservers', async () => {
        const { requests, capacity } = current();
        const ids = Array.from({ length: 40 }, (_, index) => `cap-a-${index}`);
        await Promise.all(ids.map((id) => requests.createIfAbsent(queuedRecord(id))));
        const results = await Promise.all(ids.map((id) => capacity.reserve(slot(id, 'tpl-a', 5))));
        expect(results.filter((result) => result.reserved)).toHaveLength(5);
        expect(results.filter((result) => !result.reserved)).toEqual(
          Array.from({ length: 35 }, () => ({ reserved: false, reason: 'template-cap' })),
        );
        expect((await capacity.readCounters()).templates).toEqual({ 'tpl-a': 5 });
        const holders = await Promise.all(ids.map((id) => requests.get(id)));
        expect(
          holders.filter((record) => record?.holdsSlot && record.status === 'provisioning'),
        ).toHaveLength(5);
      });

      it('enforces the global cap across templates', async () => {
        const { capacity } = current();
        const ids = ['g-1', 'g-2', 'g-3'];
        await seed(ids);
        const results = await Promise.all(
          ids.map((id, index) => capacity.reserve(slot(id, `tpl-g${index}`, 10, 2))),
        );
        expect(results.filter((result) => result.reserved)).toHaveLength(2);
        expect(results.find((result) => !result.reserved)).toEqual({ reserved: false, reason: 'global-cap' });
        expect((await capacity.readCounters()).global).toBe(2);
      });

      it('says why in order: the global cap, the template cap, then the request', async () => {
        const { capacity } = current();
        await reserved('held', 'tpl-o');
        await seed(['o-1']);
        // Both caps full: global-cap. The template full and the request moved: template-cap.
        expect(await capacity.reserve(slot('o-1', 'tpl-o', 1, 1))).toEqual({
          reserved: false,
          reason: 'global-cap',
        });
        expect(await capacity.reserve(slot('held', 'tpl-o', 1, 10))).toEqual({
          reserved: false,
          reason: 'template-cap',
        });
        expect(await capacity.reserve(slot('held', 'tpl-o', 10, 10))).toEqual({
          reserved: false,
          reason: 'request-moved',
        });
      });

      it('does not take a second slot for a request that already holds one', async () => {
        const { capacity } = current();
        await seed(['twice']);
        expect(await capacity.reserve(slot('twice', 'tpl-t', 5))).toEqual({ reserved: true });
        expect(await capacity.reserve(slot('twice', 'tpl-t', 5))).toEqual({
          reserved: false,
          reason: 'request-moved',
        });
        expect(await capacity.readCounters()).toEqual({
          global: 1,
          templates: { 'tpl-t': 1 },
          changes: { global: 1, templates: { 'tpl-t': 1 } },
          driftSeen: { templates: {} },
        });
      });

      it('writes nothing for a request that is missing, elsewhere, or outside a narrowed from', async () => {
        const { requests, capacity } = current();
        await seed(['started'], { status: 'started' });
        await seed(['queued']);
        expect(await capacity.reserve(slot('missing', 'tpl', 5))).toEqual({
          reserved: false,
          reason: 'request-moved',
        });
        expect(await capacity.reserve(slot('started', 'tpl', 5))).toEqual({
          reserved: false,
          reason: 'request-moved',
        });
        expect(await capacity.reserve({ ...slot('queued', 'tpl', 5), from: ['waiting'] })).toEqual({
          reserved: false,
          reason: 'request-moved',
        });
        expect(await capacity.readCounters()).toEqual({
          global: 0,
          templates: {},
          changes: { templates: {} },
          driftSeen: { templates: {} },
        });
        expect(await requests.get('missing')).toBeUndefined();
        expect(await requests.get('queued')).toEqual(queuedRecord('queued'));
      });

      it('writes nothing for a request whose attempts are no longer those read (its pod name is stale)', async () => {
        const { requests, capacity } = current();
        // Read at 1 attempt; another attempt reserved, and the reaper queued the build again since.
        await seed(['stale'], { status: 'queued', attempts: 2 });
        expect(await capacity.reserve({ ...slot('stale', 'tpl', 5), attempts: 1 })).toEqual({
          reserved: false,
          reason: 'request-moved',
        });
        expect(await capacity.reserve({ ...slot('stale', 'tpl', 5), attempts: 3 })).toEqual({
          reserved: false,
          reason: 'request-moved',
        });
        expect(await capacity.readCounters()).toMatchObject({ global: 0, templates: {} });
        expect(await requests.get('stale')).toEqual(queuedRecord('stale', { status: 'queued', attempts: 2 }));
        expect(await capacity.reserve({ ...slot('stale', 'tpl', 5), attempts: 2 })).toEqual({
          reserved: true,
        });
        expect(await requests.get('stale')).toMatchObject({ attempts: 3, podName: 'pc-stale' });
      });

      it('refuses to widen the from-states, and grants nothing when a cap is 0', async () => {
        const { capacity } = current();
        await seed(['zero']);
        await expect(capacity.reserve({ ...slot('zero', 'tpl', 5), from: ['provisioning'] })).rejects.toThrow(
          TypeError,
        );
        expect(await capacity.reserve(slot('zero', 'tpl-z', 0))).toEqual({
          reserved: false,
          reason: 'template-cap',
        });
        expect(await capacity.reserve(slot('zero', 'tpl-z', 5, 0))).toEqual({
          reserved: false,
          reason: 'global-cap',
        });
        expect(await statuses(['zero'])).toEqual(['queued']);
      });
    });

    describe('reserveMany', () => {
      it('takes every slot at once, moving each counter once, and every request to provisioning', async () => {
        const { requests, capacity, clock } = current();
        const ids = Array.from({ length: 10 }, (_, index) => `many-a-${index}`);
        await seed(ids);
        await reserved('other', 'tpl-other');
        expect(await capacity.reserveMany({ ...many(ids, 'tpl-many-a', 10), attemptSeconds: 60 })).toBe(true);
        expect(await capacity.readCounters()).toEqual({
          global: 11,
          templates: { 'tpl-many-a': 10, 'tpl-other': 1 },
          changes: { global: 2, templates: { 'tpl-many-a': 1, 'tpl-other': 1 } },
          driftSeen: { templates: {} },
        });
        const records = await requests.getMany(ids);
        expect(
          [...records.values()].every((record) => record.status === 'provisioning' && record.holdsSlot),
        ).toBe(true);
        expect(records.get('many-a-3')).toMatchObject({
          podName: 'pc-many-a-3',
          template: 'tpl-many-a',
          attempts: 1,
          attemptUntilMs: clock.now().getTime() + 60_000,
        });
      });

      it('takes nothing when the cap lacks room for all of them', async () => {
        const { capacity } = current();
        const ids = Array.from({ length: 4 }, (_, index) => `many-b-${index}`);
        await seed(ids);
        await capacity.reserve(slot('many-b-0', 'tpl-many-b', 3));
        // One slot of three is taken: three more do not fit, though two would.
        expect(await capacity.reserveMany(many(ids.slice(1), 'tpl-many-b', 3))).toBe(false);
        expect(await capacity.reserveMany(many(ids.slice(1), 'tpl-many-b', 10, 3))).toBe(false);
        expect((await capacity.readCounters()).templates).toEqual({ 'tpl-many-b': 1 });
        expect(await statuses(ids.slice(1))).toEqual(['queued', 'queued', 'queued']);
      });

      it('takes nothing when one of the requests was taken meanwhile', async () => {
        const { capacity } = current();
        const ids = ['many-c-0', 'many-c-1', 'many-c-2'];
        await seed(ids);
        expect((await capacity.reserve(slot('many-c-1', 'tpl-many-c', 10))).reserved).toBe(true);
        expect(await capacity.reserveMany(many(ids, 'tpl-many-c', 10))).toBe(false);
        expect(await capacity.readCounters()).toEqual({
          global: 1,
          templates: { 'tpl-many-c': 1 },
          changes: { global: 1, templates: { 'tpl-many-c': 1 } },
          driftSeen: { templates: {} },
        });
        expect(await statuses(ids)).toEqual(['queued', 'provisioning', 'queued']);
      });

      it('takes nothing when one of the requests has other attempts than those read', async () => {
        const { capacity } = current();
        const ids = ['many-d-0', 'many-d-1'];
        await seed(ids);
        await seed(['many-d-2'], { attempts: 4 });
        const batch = many([...ids, 'many-d-2'], 'tpl-many-d', 10);
        expect(await capacity.reserveMany(batch)).toBe(false);
        expect(await capacity.readCounters()).toMatchObject({ global: 0, templates: {} });
        expect(await statuses([...ids, 'many-d-2'])).toEqual(['queued', 'queued', 'queued']);
        const read = {
          ...batch,
          requests: batch.requests.map((request, index) => ({ ...request, attempts: index === 2 ? 4 : 0 })),
        };
        expect(await capacity.reserveMany(read)).toBe(true);
        expect(await statuses([...ids, 'many-d-2'])).toEqual([
          'provisioning',
          'provisioning',
          'provisioning',
        ]);
      });

      it('answers true for none, false beyond one transaction or a cap, and refuses a request named twice', async () => {
        const { capacity } = current();
        expect(await capacity.reserveMany(many([], 'tpl', 0, 0))).toBe(true);
        const ids = Array.from({ length: 99 }, (_, index) => `big-${index}`);
        expect(await capacity.reserveMany(many(ids, 'tpl', 1000))).toBe(false);
        expect(await capacity.reserveMany(many(['a', 'b'], 'tpl', 1))).toBe(false);
        await expect(capacity.reserveMany(many(['dup', 'dup'], 'tpl-many-d', 10))).rejects.toThrow(
          /each request may appear once/,
        );
        await expect(capacity.reserveMany({ ...many(['a'], 'tpl', 10), from: ['started'] })).rejects.toThrow(
          TypeError,
        );
        expect(await capacity.readCounters()).toEqual({
          global: 0,
          templates: {},
          changes: { templates: {} },
          driftSeen: { templates: {} },
        });
      });
    });

    describe('reserveFresh', () => {
      /** A new request's slot on its snapshot: the record as created, the settings at `version`. */
      const fresh = (record: RequestRecord, templateCap = 10, settingsVersion = 0, globalCap = 100) => ({
        ...slot(record.requestId, 'tpl-fresh', templateCap, globalCap),
        digest: requestDigest(record),
        settingsVersion,
      });

      it('takes the slot of a request as created, as reserve does, in one write', async () => {
        const { requests, capacity, clock } = current();
        const record = queuedRecord('fresh-1', { template: 'tpl-fresh' });
        await requests.createIfAbsent(record);
        clock.advance(1000);
        expect(await capacity.reserveFresh({ ...fresh(record), attemptSeconds: 60 })).toBe(true);
        expect(await requests.get('fresh-1')).toEqual({
          ...record,
          status: 'provisioning',
          statusSince: clock.now().toISOString(),
          holdsSlot: true,
          podName: 'pc-fresh-1',
          attempts: 1,
          attemptUntilMs: clock.now().getTime() + 60_000,
        });
        expect(await capacity.readCounters()).toEqual({
          global: 1,
          templates: { 'tpl-fresh': 1 },
          changes: { global: 1, templates: { 'tpl-fresh': 1 } },
          driftSeen: { templates: {} },
        });
      });

      it('takes nothing for a snapshot the record is not: another digest, reserved before, moved, absent', async () => {
        const { requests, capacity } = current();
        const record = queuedRecord('fresh-2', { template: 'tpl-fresh' });
        await requests.createIfAbsent(record);
        // Altered: other details, or another request's fields under this id.
        expect(
          await capacity.reserveFresh({
            ...fresh(record),
            digest: requestDigest({ ...record, details: { source: 'generic', url: 'x' } }),
          }),
        ).toBe(false);
        expect(
          await capacity.reserveFresh({ ...fresh(record), digest: requestDigest(queuedRecord('other')) }),
        ).toBe(false);
        // Reserved and given back since: queued again, but no longer as created.
        expect((await capacity.reserve(slot('fresh-2', 'tpl-fresh', 10))).reserved).toBe(true);
        expect(await capacity.release('fresh-2', 'tpl-fresh', 'queued', 'retry')).toBe(true);
        expect(await capacity.reserveFresh(fresh(record))).toBe(false);
        // Moved on (waiting at a cap), and never created.
        const waiting = queuedRecord('fresh-3', { template: 'tpl-fresh' });
        await requests.createIfAbsent(waiting);
        await requests.transition('fresh-3', ['queued'], 'waiting', { reason: 'at the cap' });
        expect(await capacity.reserveFresh(fresh(waiting))).toBe(false);
        expect(
          await capacity.reserveFresh(fresh(queuedRecord('fresh-none', { template: 'tpl-fresh' }))),
        ).toBe(false);
        expect(await statuses(['fresh-2', 'fresh-3'])).toEqual(['queued', 'waiting']);
        expect(await capacity.readCounters()).toEqual({
          global: 0,
          templates: { 'tpl-fresh': 0 },
          changes: { global: 2, templates: { 'tpl-fresh': 2 } },
          driftSeen: { templates: {} },
        });
      });

      it('takes nothing once the operator settings moved past the version the caps came from', async () => {
        const { requests, capacity, settings } = current();
        const record = queuedRecord('fresh-4', { template: 'tpl-fresh' });
        await requests.createIfAbsent(record);
        await settings.update((current) => ({ ...current, globalCap: 50 }));
        // Never written (version 0) is no longer so; version 1 is what they are now.
        expect(await capacity.reserveFresh(fresh(record, 10, 0))).toBe(false);
        expect(await capacity.reserveFresh(fresh(record, 10, 2))).toBe(false);
        expect(await statuses(['fresh-4'])).toEqual(['queued']);
        expect(await capacity.reserveFresh(fresh(record, 10, 1))).toBe(true);
      });

      it('takes nothing at a cap, and never more than the cap under concurrency', async () => {
        const { requests, capacity } = current();
        const records = Array.from({ length: 6 }, (_, index) =>
          queuedRecord(`fresh-cap-${index}`, { template: 'tpl-fresh' }),
        );
        for (const record of records) await requests.createIfAbsent(record);
        const taken = await Promise.all(records.map((record) => capacity.reserveFresh(fresh(record, 2))));
        expect(taken.filter(Boolean)).toHaveLength(2);
        expect((await capacity.readCounters()).templates).toEqual({ 'tpl-fresh': 2 });
        expect(await capacity.reserveFresh(fresh(records[5] as RequestRecord, 10, 0, 0))).toBe(false);
        expect(await capacity.reserveFresh(fresh(records[5] as RequestRecord, 0))).toBe(false);
      });
    });

    describe('release', () => {
      it('gives a slot back exactly once, however often release is called', async () => {
        const { requests, capacity, clock } = current();
        await reserved('rel', 'tpl-r');
        clock.advance(1000);
        const releases = await Promise.all(
          [1, 2, 3].map(() => capacity.release('rel', 'tpl-r', 'queued', 'retry')),
        );
        expect(releases.filter(Boolean)).toHaveLength(1);
        expect(await capacity.readCounters()).toEqual({
          global: 0,
          templates: { 'tpl-r': 0 },
          changes: { global: 2, templates: { 'tpl-r': 2 } },
          driftSeen: { templates: {} },
        });
        const record = await requests.get('rel');
        expect(record).toEqual(
          queuedRecord('rel', {
            status: 'queued',
            statusSince: clock.now().toISOString(),
            holdsSlot: false,
            reason: 'retry',
            template: 'tpl-r',
            podName: 'pc-rel',
            attempts: 1,
          }),
        );
      });

      it('ends a request with its TTL, counting a retry when told to, leaving the reason without one', async () => {
        const { requests, capacity, clock } = current();
        await reserved('end-1');
        await requests.transition('end-1', ['provisioning'], 'provisioned', { reason: 'made' });
        clock.advance(5000);
        expect(await capacity.release('end-1', 'tpl', 'failed', undefined, { countRetry: true })).toBe(true);
        expect(await requests.get('end-1')).toMatchObject({
          status: 'failed',
          statusSince: clock.now().toISOString(),
          holdsSlot: false,
          reason: 'made',
          retriesUsed: 1,
          expiresAt: clock.seconds() + endedRequestTtlSeconds,
        });
        await reserved('end-2');
        expect(await capacity.release('end-2', 'tpl', 'waiting', 'trimmed')).toBe(true);
        expect((await requests.get('end-2'))?.expiresAt).toBeUndefined();
        expect((await requests.get('end-2'))?.retriesUsed).toBe(0);
      });

      it('takes the attempt back when told to, so the next reserve is at the attempts it was, and with a retry counted too', async () => {
        const { requests, capacity } = current();
        await reserved('undo-1');
        expect(await requests.get('undo-1')).toMatchObject({ attempts: 1 });
        expect(await capacity.release('undo-1', 'tpl', 'queued', 'retrying', { undoAttempt: true })).toBe(
          true,
        );
        expect(await requests.get('undo-1')).toMatchObject({ status: 'queued', attempts: 0, retriesUsed: 0 });
        expect(await capacity.reserve(slot('undo-1', 'tpl', 5))).toEqual({ reserved: true });
        expect(
          await capacity.release('undo-1', 'tpl', 'queued', 'both', { undoAttempt: true, countRetry: true }),
        ).toBe(true);
        expect(await requests.get('undo-1')).toMatchObject({ attempts: 0, retriesUsed: 1 });
        // Without it, the attempt stays counted.
        expect(await capacity.reserve(slot('undo-1', 'tpl', 5))).toEqual({ reserved: true });
        expect(await capacity.release('undo-1', 'tpl', 'queued', 'again')).toBe(true);
        expect(await requests.get('undo-1')).toMatchObject({ attempts: 1 });
      });

      it('gives back only the slot of the pod named, when one is', async () => {
        const { requests, capacity } = current();
        await reserved('named');
        expect(
          await capacity.release('named', 'tpl', 'queued', 'not mine', { podName: 'pc-someone-else' }),
        ).toBe(false);
        expect(await requests.get('named')).toMatchObject({ status: 'provisioning', holdsSlot: true });
        expect(await capacity.readCounters()).toMatchObject({ global: 1, templates: { tpl: 1 } });
        expect(await capacity.release('named', 'tpl', 'queued', 'mine', { podName: 'pc-named' })).toBe(true);
        expect(await requests.get('named')).toMatchObject({ status: 'queued', holdsSlot: false });
      });

      it('gives back only while the request is as marked when read, when told its statusSince', async () => {
        const { requests, capacity, clock } = current();
        await reserved('marked');
        const read = await requests.get('marked');
        // Marked again since the read (an operator's cancel over the reaper's mark): another statusSince.
        clock.advance(1000);
        await requests.transition('marked', ['provisioning'], 'ending', { endAs: 'cancelled' });
        const since = read!.statusSince;
        expect(await capacity.release('marked', 'tpl', 'failed', 'as read', { statusSince: since })).toBe(
          false,
        );
        expect(await requests.get('marked')).toMatchObject({ status: 'ending', holdsSlot: true });
        expect(await capacity.readCounters()).toMatchObject({ global: 1, templates: { tpl: 1 } });
        const now = (await requests.get('marked'))!.statusSince;
        expect(await capacity.release('marked', 'tpl', 'cancelled', 'as marked', { statusSince: now })).toBe(
          true,
        );
        expect(await requests.get('marked')).toMatchObject({ status: 'cancelled', holdsSlot: false });
      });

      it('gives nothing back for a request holding no slot, or in a state its move does not start from', async () => {
        const { requests, capacity } = current();
        await seed(['free'], { status: 'provisioning' });
        expect(await capacity.release('free', 'tpl', 'queued')).toBe(false);
        expect(await capacity.release('missing', 'tpl', 'completed')).toBe(false);
        await reserved('ending');
        await requests.transition('ending', ['provisioning'], 'ending', { endAs: 'cancelled' });
        // The CI ended that build: it never goes again, but it ends.
        expect(await capacity.release('ending', 'tpl', 'queued')).toBe(false);
        expect(await capacity.readCounters()).toMatchObject({ global: 1, templates: { tpl: 1 } });
        expect(await capacity.release('ending', 'tpl', 'cancelled')).toBe(true);
        expect(await capacity.release('ending', 'tpl', 'completed')).toBe(false);
        expect(await capacity.readCounters()).toMatchObject({ global: 0, templates: { tpl: 0 } });
        expect(await statuses(['free', 'ending'])).toEqual(['provisioning', 'cancelled']);
      });

      it('gives nothing back outside a narrowed from, and never widens it', async () => {
        const { requests, capacity } = current();
        await reserved('moved');
        await requests.transition('moved', ['provisioning'], 'started');
        // Read as provisioning; started since (the CI's word): it stays started, holding its slot.
        expect(await capacity.release('moved', 'tpl', 'queued', 'again', { from: ['provisioning'] })).toBe(
          false,
        );
        // `ending` is no from-state of a requeue, whatever the caller names.
        await reserved('ended');
        await requests.transition('ended', ['provisioning'], 'ending', { endAs: 'completed' });
        expect(await capacity.release('ended', 'tpl', 'queued', 'again', { from: ['ending'] })).toBe(false);
        expect(await statuses(['moved', 'ended'])).toEqual(['started', 'ending']);
        expect(await capacity.readCounters()).toMatchObject({ global: 2, templates: { tpl: 2 } });
        expect(await capacity.release('moved', 'tpl', 'queued', 'again', { from: ['started'] })).toBe(true);
        expect(await requests.get('moved')).toMatchObject({
          status: 'queued',
          holdsSlot: false,
          reason: 'again',
        });
      });

      it('moves the request all the same when a counter is already at 0, and neither counter moves', async () => {
        const { requests, capacity } = current();
        await seed(['drift'], { status: 'provisioned', holdsSlot: true, template: 'tpl-d' });
        expect(await capacity.repairCounter('global', 0, 3)).toBe(true);
        expect(await capacity.release('drift', 'tpl-d', 'completed')).toBe(true);
        expect(await requests.get('drift')).toMatchObject({ status: 'completed', holdsSlot: false });
        expect(await capacity.readCounters()).toEqual({
          global: 3,
          templates: {},
          changes: { global: 1, templates: {} },
          driftSeen: { templates: {} },
        });
      });

      it('throws for a state no move gives a slot back into', async () => {
        const { capacity } = current();
        await reserved('into');
        await expect(capacity.release('into', 'tpl', 'provisioning')).rejects.toThrow(TypeError);
        expect((await capacity.readCounters()).global).toBe(1);
      });
    });

    describe('readCounters and repairCounter', () => {
      it('answers no counters before any moved', async () => {
        expect(await current().capacity.readCounters()).toEqual({
          global: 0,
          templates: {},
          changes: { templates: {} },
          driftSeen: { templates: {} },
        });
      });

      it('sets a counter only if it has not moved since it was read', async () => {
        const { capacity } = current();
        expect(await capacity.repairCounter({ template: 'tpl-x' }, 1, 0)).toBe(false);
        expect(await capacity.repairCounter({ template: 'tpl-x' }, 0, 0, 1)).toBe(false);
        expect(await capacity.repairCounter({ template: 'tpl-x' }, 0, 2)).toBe(true);
        expect(await capacity.readCounters()).toEqual({
          global: 0,
          templates: { 'tpl-x': 2 },
          changes: { templates: { 'tpl-x': 1 } },
          driftSeen: { templates: {} },
        });
        // Read at 2 after 1 change: a reservation and a release since leave it at 2, after 3.
        await reserved('moving', 'tpl-x');
        expect(await capacity.release('moving', 'tpl-x', 'queued')).toBe(true);
        expect(await capacity.repairCounter({ template: 'tpl-x' }, 2, 0, 1)).toBe(false);
        expect(await capacity.repairCounter({ template: 'tpl-x' }, 2, 0, 3)).toBe(true);
        expect(await capacity.readCounters()).toMatchObject({
          templates: { 'tpl-x': 0 },
          changes: { templates: { 'tpl-x': 4 } },
        });
      });

      it('notes a drift at the changes it was seen, only while the counter has not moved, and says so on read', async () => {
        const { capacity, subject } = current();
        expect(await capacity.noteCounterDrift({ template: 'tpl-d' }, 1, 0)).toBe(false); // absent: 0 after 0
        await reserved('drifting', 'tpl-d');
        expect(await capacity.noteCounterDrift({ template: 'tpl-d' }, 1, 0)).toBe(false); // moved since
        expect(await capacity.noteCounterDrift({ template: 'tpl-d' }, 0, 1)).toBe(false);
        expect(await capacity.noteCounterDrift({ template: 'tpl-d' }, 1, 1)).toBe(true);
        expect(await capacity.readCounters()).toMatchObject({
          templates: { 'tpl-d': 1 },
          changes: { templates: { 'tpl-d': 1 } },
          driftSeen: { templates: { 'tpl-d': 1 } },
        });
        expect(await subject.item(keys.templateCounter('tpl-d'))).toEqual({
          ...keys.templateCounter('tpl-d'),
          used: 1,
          changes: 1,
          driftSeen: 1,
        });
        // Noting changes nothing a reservation or a repair reads: the repair still applies.
        expect(await capacity.repairCounter({ template: 'tpl-d' }, 1, 0, 1)).toBe(true);
        expect(await capacity.readCounters()).toMatchObject({
          changes: { templates: { 'tpl-d': 2 } },
          driftSeen: { templates: { 'tpl-d': 1 } },
        });
        expect(await capacity.noteCounterDrift('global', 0, 0)).toBe(false); // the global counter moved too
      });

      it("keeps a template named 'global' apart from the global counter", async () => {
        const { capacity, subject } = current();
        await reserved('named', 'global');
        expect(await capacity.repairCounter({ template: 'global' }, 1, 3, 1)).toBe(true);
        expect(await capacity.noteCounterDrift({ template: 'global' }, 3, 2)).toBe(true);
        expect(await capacity.readCounters()).toEqual({
          global: 1,
          templates: { global: 3 },
          changes: { global: 1, templates: { global: 2 } },
          driftSeen: { templates: { global: 2 } },
        });
        expect(await subject.item(keys.globalCounter())).toEqual({
          ...keys.globalCounter(),
          used: 1,
          changes: 1,
        });
        expect(await capacity.repairCounter('global', 1, 0, 2)).toBe(false); // the template's changes, not its own
      });

      it('keeps the counters in the table as items with used and changes', async () => {
        const { capacity, subject } = current();
        await reserved('item', 'tpl-i');
        expect(await subject.item(keys.templateCounter('tpl-i'))).toEqual({
          ...keys.templateCounter('tpl-i'),
          used: 1,
          changes: 1,
        });
        expect(await capacity.repairCounter('global', 1, 0, 1)).toBe(true);
        expect(await subject.item(keys.globalCounter())).toEqual({
          ...keys.globalCounter(),
          used: 0,
          changes: 2,
        });
      });
    });

    describe('when the store fails', () => {
      it('throws StateUnavailableError', async () => {
        const { capacity } = current().subject.unavailable;
        const unavailable = expect.any(StateUnavailableError) as unknown;
        await expect(capacity.reserve(slot('x', 'tpl', 5))).rejects.toEqual(unavailable);
        await expect(capacity.reserveMany(many(['x'], 'tpl', 5))).rejects.toEqual(unavailable);
        await expect(capacity.release('x', 'tpl', 'queued')).rejects.toEqual(unavailable);
        await expect(capacity.readCounters()).rejects.toEqual(unavailable);
        await expect(capacity.repairCounter('global', 0, 1)).rejects.toEqual(unavailable);
        await expect(capacity.noteCounterDrift('global', 0)).rejects.toEqual(unavailable);
      });
    });
  });
}
