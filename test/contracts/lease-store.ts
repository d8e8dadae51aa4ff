import type { LeaseStore } from '../../shared/ports/lease-store';
import { StateUnavailableError } from '../../shared/state/errors';
import { keys } from '../../shared/state/keys';
import { withSubject, type MakeSubject } from './harness';

/**
 * The lease store's contract (shared/ports/lease-store.ts), run against every adapter: DynamoDB on
 * DynamoDB Local (test/integration/state) and the in-memory twin (test/unit/state).
 */
export function describeLeaseStoreContract(
  name: string,
  make: MakeSubject<{ readonly leases: LeaseStore }>,
): void {
  describe(`LeaseStore contract: ${name}`, () => {
    const current = withSubject(make);

    it('lets one holder at a time take a lease, and its holder take it again', async () => {
      const { leases } = current();
      expect(await leases.acquire('reaper', 'run-1', 60)).toBe(true);
      expect(await leases.acquire('reaper', 'run-2', 60)).toBe(false);
      expect(await leases.acquire('reaper', 'run-1', 60)).toBe(true);
      expect(await leases.acquire('other', 'run-2', 60)).toBe(true);
    });

    it('keeps the lease with its expiry in whole seconds, which taking it again extends', async () => {
      const { leases, clock, subject } = current();
      clock.advance(1500);
      await leases.acquire('reaper', 'run-1', 60);
      expect(await subject.item(keys.lease('reaper'))).toEqual({
        ...keys.lease('reaper'),
        holder: 'run-1',
        expiresAt: clock.seconds() + 60,
      });
      clock.advance(30_000);
      await leases.acquire('reaper', 'run-1', 60);
      expect((await subject.item(keys.lease('reaper')))?.expiresAt).toBe(clock.seconds() + 60);
    });

    it('lets another holder take a lease only once its time is past', async () => {
      const { leases, clock } = current();
      expect(await leases.acquire('reaper', 'run-1', 60)).toBe(true);
      clock.advance(60_000);
      expect(await leases.acquire('reaper', 'run-2', 60)).toBe(false);
      clock.advance(1000);
      expect(await leases.acquire('reaper', 'run-2', 60)).toBe(true);
      expect(await leases.acquire('reaper', 'run-1', 60)).toBe(false);
    });

    it('gives a lease up for its holder only', async () => {
      const { leases } = current();
      await leases.acquire('reaper', 'run-1', 600);
      await leases.release('reaper', 'run-2');
      expect(await leases.acquire('reaper', 'run-2', 600)).toBe(false);
      await leases.release('reaper', 'run-1');
      expect(await leases.acquire('reaper', 'run-2', 600)).toBe(true);
      await expect(leases.release('never-taken', 'run-1')).resolves.toBeUndefined();
    });

    it('grants a free lease to exactly one of many concurrent takers', async () => {
      const { leases } = current();
      const taken = await Promise.all(
        Array.from({ length: 10 }, (_, index) => leases.acquire('reaper', `run-${index}`, 60)),
      );
      expect(taken.filter(Boolean)).toHaveLength(1);
    });

    it('throws StateUnavailableError taking a lease when the store fails; giving one up never throws', async () => {
      const { leases } = current().subject.unavailable;
      await expect(leases.acquire('reaper', 'run-1', 60)).rejects.toBeInstanceOf(StateUnavailableError);
      await expect(leases.release('reaper', 'run-1')).resolves.toBeUndefined();
    });
  });
}
