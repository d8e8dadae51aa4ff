import { localCis } from '../../../infra/local/stand-ins/local-cis';
import { ciModuleOf, ciSources } from '../../../shared/sources';

/**
 * `pitcrew dev`, `pitcrew demo`, the storm and the property tests iterate over the local kits: a CI
 * registered without one would be left out of all of them silently.
 */
describe('the local CI kits (infra/local/stand-ins/local-cis.ts)', () => {
  it('has one kit per registered CI, in the registry order', () => {
    expect(localCis.map((kit) => kit.name)).toEqual([...ciSources]);
  });

  it.each(localCis.map((kit) => [kit.name, kit] as const))(
    "%s: its deliveries name the kit's labels and keep one job key per build",
    (_name, kit) => {
      const queued = kit.delivery(42, 'queued');
      expect(JSON.stringify(queued.body)).toContain(JSON.stringify(kit.labels[0]));
      expect(kit.delivery(42, 'queued', { deliveryId: 'd-1' })).not.toEqual(kit.delivery(43, 'queued'));
      expect(kit.jobKeyOf(42, { url: 'http://127.0.0.1:1' })).not.toEqual(
        kit.jobKeyOf(43, { url: 'http://127.0.0.1:1' }),
      );
      // A template for the kit's labels needs an image where the module has no default.
      expect(kit.template.image ?? ciModuleOf(kit.name).podDefaults.image).toEqual(expect.any(String));
    },
  );
});
