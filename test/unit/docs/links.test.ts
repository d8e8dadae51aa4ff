import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import GithubSlugger from 'github-slugger';

/**
 * Every link between the repository's Markdown files leads somewhere: the file exists and, when the
 * link names a section (`performance.md#left-and-why`), a heading of that file has that anchor as
 * GitHub makes it. Docs are moved and rewritten often; a newcomer following a dead link is lost.
 */
const markdownFiles = execFileSync('git', ['ls-files', '*.md'], { encoding: 'utf8' })
  .split('\n')
  .filter((file) => file !== '' && existsSync(file));

/** The file's lines outside fenced code blocks, where a `#` or `[x](y)` is not Markdown. */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** A heading's text as GitHub renders it before making its anchor: links, code and emphasis as text. */
const renderedText = (heading: string): string =>
  heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim();

/** The anchors of a file's headings, as GitHub makes them (repeats get -1, -2 ...). */
function anchorsOf(file: string): Set<string> {
  const slugger = new GithubSlugger();
  return new Set(
    proseLines(readFileSync(file, 'utf8'))
      .map((line) => /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line)?.[1])
      .filter((heading): heading is string => heading !== undefined)
      .map((heading) => slugger.slug(renderedText(heading))),
  );
}

interface Link {
  readonly from: string;
  readonly target: string;
}

/** Links to other files of the repository or to a section (`[text](path#anchor)`, `[text](#anchor)`). */
function localLinks(file: string): Link[] {
  return proseLines(readFileSync(file, 'utf8'))
    .map((line) => line.replace(/`[^`]*`/g, ''))
    .flatMap((line) => [...line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!))
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map((target) => ({ from: file, target }));
}

/** Why the link leads nowhere, or undefined when it leads where it says. */
function deadEnd({ from, target }: Link): string | undefined {
  const [path = '', anchor] = target.split('#');
  const file = path === '' ? from : normalize(join(dirname(from), decodeURIComponent(path)));
  if (!existsSync(file)) return `${from}: ${target}: no file ${file}`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(file).isDirectory() || !file.endsWith('.md'))
    return `${from}: ${target}: an anchor in a non-Markdown file`;
  return anchorsOf(file).has(decodeURIComponent(anchor))
    ? undefined
    : `${from}: ${target}: no heading #${anchor} in ${file}`;
}

describe('links between Markdown files', () => {
  it('finds the docs and their links', () => {
    expect(markdownFiles).toEqual(expect.arrayContaining(['README.md', 'docs/performance.md']));
    expect(markdownFiles.flatMap(localLinks).length).toBeGreaterThan(50);
  });

  it('makes anchors as GitHub does', () => {
    expect([...anchorsOf('docs/performance.md')]).toEqual(
      expect.arrayContaining(['what-each-measure-does-and-what-dominates', 'left-and-why', 'at-a-glance']),
    );
  });

  it.each(markdownFiles)('%s links only to files and sections that exist', (file) => {
    expect(localLinks(file).map(deadEnd).filter(Boolean)).toEqual([]);
  });
});
