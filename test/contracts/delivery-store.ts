import { deliveryTtlSeconds, type DeliveryStore } from '../../shared/ports/delivery-store';
import { StateUnavailableError } from '../../shared/state/errors';
import { keys } from '../../shared/state/keys';
import { withSubject, type MakeSubject } from './harness';

/**
 * The delivery store's contract (shared/ports/delivery-store.ts), run against every adapter: DynamoDB
 * on DynamoDB Local (test/integration/state) and the in-memory twin (test/unit/state).
 */
export function describeDeliveryStoreContract(
  name: string,
  make: MakeSubject<{ readonly deliveries: DeliveryStore }>,
): void {
  describe(`DeliveryStore contract: ${name}`, () => {
    const current = withSubject(make);

    it('remembers a delivery id once per source, and tells whether it has been seen', async () => {
      const { deliveries } = current();
      expect(await deliveries.seen('github', 'd-1')).toBe(false);
      expect(await deliveries.remember('github', 'd-1')).toBe('new');
      expect(await deliveries.remember('github', 'd-1')).toBe('duplicate');
      expect(await deliveries.seen('github', 'd-1')).toBe(true);
      expect(await deliveries.seen('jenkins', 'd-1')).toBe(false);
      expect(await deliveries.remember('jenkins', 'd-1')).toBe('new');
    });

    it('keeps the marker with its TTL, which a duplicate does not extend', async () => {
      const { deliveries, clock, subject } = current();
      await deliveries.remember('github', 'd-ttl');
      const expiresAt = clock.seconds() + deliveryTtlSeconds;
      clock.advance(3_600_000);
      expect(await deliveries.remember('github', 'd-ttl')).toBe('duplicate');
      expect(await subject.item(keys.delivery('github', 'd-ttl'))).toEqual({
        ...keys.delivery('github', 'd-ttl'),
        expiresAt,
      });
    });

    it('answers new to exactly one of many concurrent callers', async () => {
      const { deliveries } = current();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => deliveries.remember('generic', 'd-race')),
      );
      expect(answers.filter((answer) => answer === 'new')).toHaveLength(1);
    });

    it('throws StateUnavailableError when the store fails', async () => {
      const { deliveries } = current().subject.unavailable;
      await expect(deliveries.seen('github', 'x')).rejects.toBeInstanceOf(StateUnavailableError);
      await expect(deliveries.remember('github', 'x')).rejects.toBeInstanceOf(StateUnavailableError);
    });
  });
}
