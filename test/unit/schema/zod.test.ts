// Nothing here imports classic `zod`, which would set the English locale itself (both entries share
// zod's core): the messages below must come from shared/schema/zod.ts alone.
import { ConfigError, loadSettings, parseConfig } from '../../../shared/config';
import * as z from '../../../shared/schema/zod';
import { ciSources } from '../../../shared/sources/names';
import { importsBypassing } from '../../support/imports';

const problemsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map(({ setting, problem }) => `${setting}: ${problem}`);
    throw error;
  }
  return [];
};

describe('shared/schema/zod', () => {
  it('gives zod/mini the English messages', () => {
    const result = z.strictObject({ name: z.string().check(z.minLength(1)) }).safeParse({ name: '' });
    expect(result.success ? [] : result.error.issues.map((issue) => issue.message)).toEqual([
      'Too small: expected string to have >=1 characters',
    ]);
  });

  it('gives the config parser the English messages', () => {
    expect(
      problemsOf(() =>
        parseConfig(
          'cluster: { credentials: { kind: kubeconfig, path: "" } }\nsources: {}\ntemplates: [{ name: x }]',
          'p.yaml',
        ),
      ),
    ).toEqual([
      'p.yaml: cluster.credentials.path: Too small: expected string to have >=1 characters',
      `p.yaml: templates.0.source: Invalid option: expected one of ${ciSources.map((name) => `"${name}"`).join('|')}`,
      'p.yaml: templates.0.labels: is required (expected array)',
    ]);
    expect(problemsOf(() => loadSettings('webhook', { PITCREW_STAGE: 5 as unknown as string }))).toContain(
      'PITCREW_STAGE: Invalid input: expected string, received number',
    );
  });

  // The bundle size depends on it: `import { z } from 'zod/mini'` (or classic 'zod') bundles all of zod.
  it('is the only way product code imports zod, as a namespace', () => {
    expect(importsBypassing('zod', 'z', (from) => from === 'zod' || from.startsWith('zod/'))).toEqual([]);
  });
});
