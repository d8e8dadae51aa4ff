import type { OperatorSettingsStore } from '../../shared/ports/settings-store';
import { StateUnavailableError } from '../../shared/state/errors';
import { withSubject, type MakeSubject } from './harness';

/**
 * The settings store's contract (shared/ports/settings-store.ts), run against every adapter: DynamoDB
 * on DynamoDB Local (test/integration/state) and the in-memory twin (test/unit/state).
 */
export function describeOperatorSettingsStoreContract(
  name: string,
  make: MakeSubject<{ readonly settings: OperatorSettingsStore }>,
): void {
  describe(`OperatorSettingsStore contract: ${name}`, () => {
    const current = withSubject(make);

    it('answers the defaults before any were written', async () => {
      expect(await current().settings.get()).toEqual({ drained: false, templateCaps: {} });
    });

    it('applies a change and answers the settings before and after', async () => {
      const { settings } = current();
      const first = await settings.update((now) => ({ ...now, drained: true, globalCap: 10 }));
      expect(first).toEqual({
        before: { drained: false, templateCaps: {} },
        after: { drained: true, globalCap: 10, templateCaps: {} },
      });
      expect(await settings.get()).toEqual({ drained: true, globalCap: 10, templateCaps: {} });
      const second = await settings.update((now) => ({
        ...now,
        globalCap: undefined,
        templateCaps: { tpl: 2 },
      }));
      expect(second.before).toEqual({ drained: true, globalCap: 10, templateCaps: {} });
      expect(await settings.get()).toEqual({ drained: true, templateCaps: { tpl: 2 } });
      expect(Object.keys(await settings.get())).not.toContain('globalCap');
    });

    it('writes nothing a change makes invalid', async () => {
      const { settings } = current();
      await settings.update((now) => ({ ...now, globalCap: 4 }));
      await expect(settings.update((now) => ({ ...now, globalCap: -1 }))).rejects.toThrow();
      await expect(settings.update((now) => ({ ...now, templateCaps: { tpl: 1.5 } }))).rejects.toThrow();
      expect(await settings.get()).toEqual({ drained: false, globalCap: 4, templateCaps: {} });
    });

    it('loses no change of concurrent updates', async () => {
      const { settings } = current();
      await Promise.all(
        ['a', 'b', 'c'].map((template, index) =>
          settings.update((now) => ({ ...now, templateCaps: { ...now.templateCaps, [template]: index } })),
        ),
      );
      expect((await settings.get()).templateCaps).toEqual({ a: 0, b: 1, c: 2 });
    });

    it('throws StateUnavailableError when the store fails', async () => {
      const { settings } = current().subject.unavailable;
      await expect(settings.get()).rejects.toBeInstanceOf(StateUnavailableError);
      await expect(settings.update((now) => now)).rejects.toBeInstanceOf(StateUnavailableError);
    });
  });
}
