import { readdirSync, readFileSync } from 'node:fs';

/**
 * docs/architecture.md's layout table names every folder of shared/ and every top-level folder a
 * newcomer meets, so the map cannot fall behind the tree (it once listed 5 of 15 shared folders).
 */
const folders = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
    .map((entry) => entry.name);

describe("docs/architecture.md's layout", () => {
  const layout = readFileSync('docs/architecture.md', 'utf8').split('## Layout')[1]?.split('\n## ')[0] ?? '';
  const listed = new Set([...layout.matchAll(/^\| `([^`]+)`/gm)].map((match) => match[1]));

  it('lists every folder of shared/', () => {
    const shared = folders('shared').map((name) => `shared/${name}/`);
    expect(shared.length).toBeGreaterThan(10);
    expect(shared.filter((folder) => !listed.has(folder))).toEqual([]);
  });

  it('lists every top-level folder, and nothing that is not there', () => {
    const ignored = new Set(['dist', 'coverage', 'shared']);
    const top = folders('.')
      .filter((name) => !ignored.has(name))
      .map((name) => `${name}/`);
    expect(top.filter((folder) => !listed.has(folder))).toEqual([]);
    const existing = new Set([...top, ...folders('shared').map((name) => `shared/${name}/`)]);
    expect([...listed].filter((folder) => !existing.has(folder!))).toEqual([]);
  });
});
