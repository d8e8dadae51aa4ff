import { transformSync } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepConfiguredSources, perCiRegistries } from '../../../scripts/configured-sources';
import { ciSources } from '../../../shared/sources/names';

const read = (file: string): string => readFileSync(file, 'utf8');
/** The CIs whose folder a text imports from or re-exports. */
const foldersIn = (text: string): string[] =>
  ciSources.filter((source) => text.includes(`from './${source}/`));

const tsFilesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? tsFilesUnder(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );

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
    }
  });

  it.each(perCiRegistries)('%s: with every CI, nothing changes', (file) => {
    expect(keepConfiguredSources(read(file), file, ciSources)).toBe(read(file));
  });

  it('refuses to build, naming the file and the CI, when a left-out CI would still be reached', () => {
    const wrapped =
      "import {\n  githubApiModule,\n} from './github/api-module';\nexport const all = { github: githubApiModule };";
    expect(() => keepConfiguredSources(wrapped, 'registry.ts', ['jenkins'])).toThrow(
      'registry.ts: cannot leave github out of this build: an import of ./github/ is not on one line of its own',
    );
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
    const reaching = [...tsFilesUnder('shared'), ...tsFilesUnder('functions')].filter((file) => {
      const inCiFolder = ciSources.some((source) => file.startsWith(`shared/sources/${source}/`));
      return (
        !inCiFolder &&
        !alwaysWhole.includes(file) &&
        new RegExp(`['/](${ciSources.join('|')})/`).test(
          [...read(file).matchAll(/from '([^']+)'|import\('([^']+)'\)/g)].map((m) => m[1] ?? m[2]).join(' '),
        )
      );
    });
    expect(reaching.sort()).toEqual([...perCiRegistries].sort());
  });
});
