import { localCis } from '../../../infra/local/stand-ins/local-cis';
import type { RunningLocalCi } from '../../../infra/local/stand-ins/local-ci';
import { ciModuleOf, ciSources } from '../../../shared/sources';
import { signedHeadersFor } from '../../../shared/sources/signing';
import type { SecretRef } from '../../../shared/config/file-schema';
import { createCiReceiver } from '../../../shared/sources/receiver-registry';
import { ciConfigSchemas } from '../../../shared/sources/config-registry';

/**
 * `pitcrew dev`, `pitcrew demo`, the storm and the property tests iterate over the local kits: a CI
 * registered without one would be left out of all of them silently, and a kit whose deliveries its
 * own config section refuses would make every one of them fail far from the cause.
 */
describe('the local CI kits (infra/local/stand-ins/local-cis.ts)', () => {
  it('has one kit per registered CI, in the registry order', () => {
    expect(localCis.map((kit) => kit.name)).toEqual([...ciSources]);
  });

  describe.each(localCis.map((kit) => [kit.name, kit] as const))('%s', (name, kit) => {
    const module = ciModuleOf(name);
    let running: RunningLocalCi;
    beforeAll(async () => {
      running = await kit.start();
    });
    afterAll(() => running.close());

    const receiver = () => {
      const parsed = ciConfigSchemas[module.name].safeParse(running.configSection('kit-secret'));
      if (!parsed.success) throw new Error(`its config section is refused: ${parsed.error.message}`);
      const valueOf = (ref: SecretRef): string => ('value' in ref ? ref.value : '');
      return createCiReceiver(module, parsed.data, valueOf, () => Date.now());
    };
    const parse = (body: unknown, headers: Record<string, string>) => {
      const text = JSON.stringify(body);
      return receiver().parseWebhook({
        headers: {
          'content-type': 'application/json',
          ...headers,
          ...signedHeadersFor(name, text, 'kit-secret'),
        },
        rawBody: Buffer.from(text),
      });
    };

    it("its queued delivery is an event for the kit's labels and job key, which its template serves", () => {
      const { body, headers } = kit.delivery(42, 'queued');
      const parsed = parse(body, headers);
      if (parsed.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
      expect(parsed.event).toMatchObject({ source: name, action: 'queued', labels: [...kit.labels] });
      expect(parsed.event.jobKey).toBe(kit.jobKeyOf(42, running.context));
      expect(kit.jobKeyOf(43, running.context)).not.toBe(parsed.event.jobKey);
      // A template for the kit's labels needs an image where the module has no default.
      expect(kit.template.image ?? module.podDefaults.image).toEqual(expect.any(String));
    });

    it('each of its untrusted changes makes a delivery its config section refuses', () => {
      for (const [path, value] of kit.untrustedChanges) {
        const { body, headers } = kit.delivery(44, 'queued');
        let at = body as Record<string, unknown>;
        for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
        at[path.at(-1)!] = value;
        expect({ path, parsed: parse(body, headers).kind }).toEqual({ path, parsed: 'refused' });
      }
    });
  });
});
