import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ciSources } from '../../../shared/sources/names';

/**
 * A CI is one folder, shared/sources/<ci>/, registered in shared/sources/registry.ts: no code outside
 * its folder decides anything by its name (`source === 'jenkins'`, `case 'github':`). What differs by
 * CI is a field of its module (shared/sources/module.ts) that the code reads instead.
 */

const roots = ['shared', 'functions'];

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `=== 'jenkins'`, `'jenkins' !==`, `case 'jenkins':` (either quote). */
const comparisonOf = (name: string): RegExp =>
  new RegExp(
    `([!=]==\\s*['"\`]${name}['"\`])|(['"\`]${name}['"\`]\\s*[!=]==)|(case\\s+['"\`]${name}['"\`]\\s*:)`,
  );

/** The lines of `text` that compare with a CI's name, comments left out. */
function comparisonsIn(text: string, name: string): string[] {
  const pattern = comparisonOf(name);
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => !line.startsWith('//') && !line.startsWith('*') && pattern.test(line))
    .map(({ line, number }) => `${number}: ${line}`);
}

describe('no code outside shared/sources/<ci>/ names a CI', () => {
  const files = roots.flatMap(typeScriptFiles);

  it.each(ciSources.map((name) => [name]))('no comparison with %s outside its folder', (name) => {
    const own = `${join('shared', 'sources', name)}${sep}`;
    const found = files
      .filter((file) => !file.startsWith(own))
      .flatMap((file) =>
        comparisonsIn(readFileSync(file, 'utf8'), name).map((hit) => `${relative('.', file)}:${hit}`),
      );
    expect(found).toEqual([]);
  });

  it('finds a comparison where there is one', () => {
    expect(comparisonsIn("if (pod.source === 'jenkins') x();", 'jenkins')).toHaveLength(1);
    expect(comparisonsIn("    case 'github':", 'github')).toHaveLength(1);
    expect(comparisonsIn("// source === 'generic' in a comment", 'generic')).toEqual([]);
  });
});
