import { looksLikeJson, yaml, yamlErrorWhere } from './yaml-text';

/**
 * A key given twice in one mapping of a text someone wrote (a config file, a podYaml). YAML refuses
 * it; JSON.parse keeps the last one without a word, so a config with two `sources.github` sections
 * would run the second and drop the first, the allow-list its author reviewed (bug 90). `key` is its
 * path (`sources.github`), `line` where the second one starts.
 */
export class DuplicateKeyError extends Error {
  constructor(
    readonly key: string,
    readonly line: number,
  ) {
    super(`${key} is given twice (line ${line})`);
    this.name = 'DuplicateKeyError';
  }
}

/**
 * A YAML or JSON text as someone wrote it, a key given twice refused (DuplicateKeyError, naming it).
 * What the build writes (a compiled config, its podYaml as JSON) never gives one, so the functions
 * read it with parseYamlText alone; this module is for the config parser and its checks.
 */
export function parseWrittenText(text: string): unknown {
  if (looksLikeJson(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON after all (`{a: 1}` is YAML only): the YAML parser reads it, or says where it fails.
      return parseYaml(text);
    }
    // More keys written than the value holds: one was given twice, and the YAML parser says which.
    if (keysWritten(text) === keysHeld(value)) return value;
  }
  return parseYaml(text);
}

/**
 * Why parseWrittenText refused a text, without quoting it (it may hold a secret): the key given
 * twice, or where the syntax breaks (` at line 3`) if the parser said.
 */
export function yamlTextProblem(error: unknown): string {
  if (error instanceof DuplicateKeyError)
    return `gives ${error.key} twice (line ${error.line}): write each key once`;
  return `is not valid YAML${yamlErrorWhere(error)}`;
}

function parseYaml(text: string): unknown {
  try {
    return yaml().parse(text);
  } catch (error) {
    if (!(error instanceof yaml().YAMLParseError) || error.code !== 'DUPLICATE_KEY') throw error;
    throw duplicateKeyIn(text) ?? error;
  }
}

/** The keys that valid JSON text writes: each string followed by a `:`, as only a key is. */
const keysWritten = (json: string): number =>
  [...json.matchAll(/"(?:[^"\\]|\\.)*"\s*(:)?/g)].filter((match) => match[1] !== undefined).length;

/** The keys of every object in a parsed JSON value. */
function keysHeld(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
  const own = Array.isArray(value) ? 0 : children.length;
  return children.reduce<number>((sum, child) => sum + keysHeld(child), own);
}

/**
 * The first key given twice in one mapping, by its path (`sources.github`), as the config's other
 * errors name a setting; the parser itself says only where. Keys compare as the parser compares them.
 */
function duplicateKeyIn(text: string): DuplicateKeyError | undefined {
  const { isMap, isScalar, isSeq, parseDocument } = yaml();
  const visit = (node: unknown, path: readonly string[]): DuplicateKeyError | undefined => {
    if (isSeq(node))
      for (const [index, item] of node.items.entries()) {
        const found = visit(item, [...path, String(index)]);
        if (found) return found;
      }
    if (!isMap(node)) return undefined;
    const seen = new Set<unknown>();
    for (const { key, value } of node.items) {
      const name = isScalar(key) ? key.value : key;
      const at = [...path, String(name)];
      if (seen.has(name)) {
        const offset = isScalar(key) ? (key.range?.[0] ?? 0) : 0;
        return new DuplicateKeyError(at.join('.'), text.slice(0, offset).split('\n').length);
      }
      seen.add(name);
      const found = visit(value, at);
      if (found) return found;
    }
    return undefined;
  };
  return visit(parseDocument(text, { uniqueKeys: false }).contents, []);
}
