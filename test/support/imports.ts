import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every .ts file under `dir`, as a path joined to it. */
export const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );

/**
 * The import lines of product code (shared/, functions/) that get a library other than through its
 * one module (`shared/schema/<name>.ts`) as the namespace `alias`: how a bundle keeps only what is
 * used, and how that module's set-up runs before any schema does.
 */
export function importsBypassing(
  wrapper: string,
  alias: string,
  isLibrary: (from: string) => boolean,
): string[] {
  return ['shared', 'functions'].flatMap(sourceFiles).flatMap((file) => {
    if (file === join('shared', 'schema', `${wrapper}.ts`)) return [];
    const imports = [
      ...readFileSync(file, 'utf8').matchAll(/^import\s+(type\s+)?(.+?)\s+from\s+'([^']+)'/gm),
    ];
    return imports
      .filter(
        ([, , what, from = '']) =>
          isLibrary(from) || (from.endsWith(`schema/${wrapper}`) && what !== `* as ${alias}`),
      )
      .map(([line]) => `${file}: ${line}`);
  });
}
