import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baselineOf, buildEntry, entryOf, functionNames, serviceLibraries } from '../../../bench/lib/bundles';

/**
 * Each function's cold-start baseline (bench/baselines) must load exactly the AWS SDK clients,
 * Powertools utilities and middy the function loads at cold start, or the ratios compare unlike
 * things; and it must hold nothing else (so it is smaller than the function).
 */
describe('the cold-start baselines', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'pitcrew-baselines-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it.each(functionNames)(
    '%s: the same service libraries as the function, and no code of its own',
    async (fn) => {
      const pitcrew = await buildEntry(entryOf(fn), join(outDir, fn));
      const baseline = await buildEntry(baselineOf(fn), join(outDir, `${fn}-baseline`));
      expect(serviceLibraries(pitcrew).length).toBeGreaterThanOrEqual(5);
      expect(serviceLibraries(baseline)).toEqual(serviceLibraries(pitcrew));
      const ownCode = (entry: typeof baseline) =>
        entry.byPackage.find(({ name }) => name === '(own code)')?.bytes ?? 0;
      expect(ownCode(baseline)).toBeLessThan(2048);
      expect(baseline.bytes).toBeLessThan(pitcrew.bytes);
    },
    60_000,
  );
});
