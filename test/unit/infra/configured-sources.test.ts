import { transformSync } from 'esbuild';
import { readFileSync } from 'node:fs';
import { keepConfiguredSources, leftOutFiles, perCiRegistries } from '../../../scripts/configured-sources';
import { ciSources } from '../../../shared/sources/names';
import { sourceFiles } from '../../support/imports';

const read = (file: string): string => readFileSync(file, 'utf8');
/** The CIs whose folder a text imports from or re-exports. */
const foldersIn = (text: string): string[] =>
  ciSources.filter((source) => text.includes(`from './${source}/`));

/** Every module a file names: static, side-effect, re-export, dynamic and require, any quotes. */
const specifiersIn = (text: string): string[] =>
  [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"`])([^'"`]*)\1/g)].map(
    (match) => match[2] ?? '',
  );
/** A path into a CI's folder (its files or its index), or one built at run time (a glob to esbuild). */
const reachesCiFolder = (specifier: string): boolean =>
  new RegExp(`(^|/)(${ciSources.join('|')})(/|$)`).test(specifier) || specifier.includes('${');
/** The message `run` throws with. */
const refusalOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return 'no refusal';
};

describe('a bundle built for a config holds only its CIs (scripts/configured-sources.ts)', () => {
  it.each(perCiRegistries)('%s: with one CI, only that CI is left, and the result still compiles', (file) => {
    const text = read(file);
    for (const source of ciSources) {
      const kept = keepConfiguredSources(text, file, [source]);
      expect({ source, folders: foldersIn(kept) }).toEqual({
        source,
        folders: foldersIn(text).filter((folder) => folder === source),
      });
      // Neither an entry nor an import of another CI is left, and what is left is valid TypeScript.
      for (const other of ciSources.filter((candidate) => candidate !== source))
        expect({ source, other, entry: new RegExp(`^\\s+${other}: `, 'm').test(kept) }).toEqual({
          source,
          other,
          entry: false,
        });
      expect(() => transformSync(kept, { loader: 'ts' })).not.toThrow();
      // The configured CI keeps its entry; lines are blanked, not removed, so source maps still hold.
      const entryOf = new RegExp(`^\\s+${source}: `, 'm');
      if (entryOf.test(text)) expect({ source, entry: entryOf.test(kept) }).toEqual({ source, entry: true });
      expect(kept.split('\n')).toHaveLength(text.split('\n').length);
    }
  });

  it('reads a file checked out with CRLF line ends as one with LF', () => {
    const file = perCiRegistries[0];
    const crlf = read(file).replaceAll('\n', '\r\n');
    expect(keepConfiguredSources(crlf, file, ['jenkins']).replaceAll('\r', '')).toBe(
      keepConfiguredSources(read(file), file, ['jenkins']),
    );
  });

  it('keeps an entry of a left-out CI whose value is not one of its imports (a helper table, say)', () => {
    const text =
      "import { githubApiModule } from './github/api-module';\nexport const all = {\n  github: githubApiModule,\n};\nexport const hints = {\n  github: 'x',\n  gitlab: defaultHint,\n};";
    expect(keepConfiguredSources(text, 'registry.ts', ['jenkins'])).toBe(
      "\nexport const all = {\n\n};\nexport const hints = {\n  github: 'x',\n  gitlab: defaultHint,\n};",
    );
  });

  it('reads an import with a trailing comma as naming only what it names', () => {
    const text =
      "import { githubApiModule, } from './github/api-module';\nexport const all = {\n  github: githubApiModule,\n};";
    expect(keepConfiguredSources(text, 'registry.ts', ['jenkins'])).toBe('\nexport const all = {\n\n};');
  });

  it("finds a left-out CI's files in what a bundle holds beyond the definitions, whatever brought them in", () => {
    const allowed = new Set(['shared/sources/github/module.ts']);
    const inputs = [
      'shared/sources/github/module.ts',
      'shared/sources/github/adapter.ts',
      'shared/sources/jenkins/adapter.ts',
      'shared/sources/registry.ts',
    ];
    expect(leftOutFiles(inputs, allowed, ['jenkins'])).toEqual(['shared/sources/github/adapter.ts']);
    expect(leftOutFiles(inputs, allowed, ['jenkins', 'github'])).toEqual([]);
  });

  it.each(perCiRegistries)('%s: with every CI, nothing changes', (file) => {
    expect(keepConfiguredSources(read(file), file, ciSources)).toBe(read(file));
  });

  it('refuses to build, naming the file and the CI, when a left-out CI would still be reached', () => {
    const wrapped =
      "import {\n  githubApiModule,\n} from './github/api-module';\nexport const all = { github: githubApiModule };";
    const refusal = `registry.ts: cannot leave github out of this build: ./github/ is imported other than as "import { … } from './github/<file>';" on one line`;
    expect(() => keepConfiguredSources(wrapped, 'registry.ts', ['jenkins'])).toThrow(refusal);
    for (const other of [
      'import "./github/polling";',
      "export * from './github/polling';",
      "const lazy = () => import('./github/polling');",
      "import { githubApiModule } from './github';",
    ])
      expect({
        other,
        refused: refusalOf(() => keepConfiguredSources(other, 'registry.ts', ['jenkins'])),
      }).toEqual({
        other,
        refused: refusal,
      });
    const usedElsewhere =
      "import { githubApiModule } from './github/api-module';\nexport const all = {\n  github: githubApiModule,\n};\nexport const first = githubApiModule;";
    expect(() => keepConfiguredSources(usedElsewhere, 'registry.ts', ['jenkins'])).toThrow(
      'registry.ts: cannot leave out githubApiModule: it is still used outside its CI',
    );
    expect(() => keepConfiguredSources('', 'registry.ts', ['teamcity' as never])).toThrow(
      "registry.ts: 'teamcity' is not a registered CI",
    );
  });

  it('the registries are the only way the functions reach a CI folder, so no other file carries a left-out CI in', () => {
    // registry.ts holds every CI's definition (its name, settings and details schemas: a record of a
    // CI dropped from the config still parses); config-registry.ts only the config parser loads.
    const alwaysWhole = ['shared/sources/registry.ts', 'shared/sources/config-registry.ts'];
    const reaching = ['shared', 'functions'].flatMap(sourceFiles).filter((file) => {
      const inCiFolder = ciSources.some((source) => file.startsWith(`shared/sources/${source}/`));
      return !inCiFolder && !alwaysWhole.includes(file) && specifiersIn(read(file)).some(reachesCiFolder);
    });
    expect(reaching.sort()).toEqual([...perCiRegistries].sort());
  });
});
