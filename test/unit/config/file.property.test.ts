import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError, parseConfig } from '../../../shared/config';

/**
 * Property-based tests of the config loader: for any text, and for any mutation of a valid config,
 * it returns a config or throws one ConfigError whose every problem names the key and says what is
 * wrong, never another error, and never quotes a secret value the file holds.
 */
const secrets = [
  'S3cr3t-webhook-value-9f8e7d',
  'S3cr3t-api-token-6c5b4a',
  'S3cr3t-cluster-token-3b2a1c',
  'S3cr3t-jenkins-webhook-5d4c3b',
];

const valid = {
  cluster: {
    namespace: 'pitcrew-agents',
    credentials: { kind: 'token', server: 'https://k8s.example.com', token: { value: secrets[2] } },
  },
  capacity: { globalCap: 20 },
  sources: {
    generic: { webhookSecret: { value: secrets[0] } },
    jenkins: {
      webhookSecret: [{ value: secrets[3] }, { value: secrets[0] + '-next' }],
      url: 'https://jenkins.example.com/',
      user: 'pitcrew',
      apiToken: { value: secrets[1] },
    },
  },
  templates: [
    { name: 'gen-linux', source: 'generic', labels: ['linux'], image: 'busybox:1.36', instanceCap: 5 },
    { name: 'jk-linux', source: 'jenkins', labels: ['linux'], podYaml: 'spec: {}\n' },
  ],
  reaper: { orphanGraceSeconds: 120 },
};

/** Replaces the value at a path (made of indexes into the keys at each level), deletes it, or adds a key. */
function mutate(
  value: unknown,
  path: readonly number[],
  replacement: unknown,
  mode: 'set' | 'delete' | 'add',
): unknown {
  if (typeof value !== 'object' || value === null || path.length === 0)
    return mode === 'add' && typeof value === 'object' && value !== null && !Array.isArray(value)
      ? { ...value, unexpected: replacement }
      : replacement;
  const keys = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[path[0]! % keys.length]!;
  const child = (value as Record<string | number, unknown>)[key];
  const next =
    path.length === 1 && mode === 'delete' ? undefined : mutate(child, path.slice(1), replacement, mode);
  if (Array.isArray(value)) {
    const copy = [...value];
    if (next === undefined) copy.splice(Number(key), 1);
    else copy[Number(key)] = next;
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (next === undefined) delete copy[key];
  else copy[key] = next;
  return copy;
}

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('', '-1', 'not a url', '../../x', 'UPPER', 'a'.repeat(300), '{stage}', 0, -1, 1.5, null),
);

/** Loads `text`; returns what happened, failing the property on any other kind of error. */
function load(text: string): { ok: true } | { ok: false; error: ConfigError } {
  try {
    parseConfig(text, 'pitcrew.yaml');
    return { ok: true };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, error };
    throw new Error(`not a ConfigError: ${String(error)}`);
  }
}

function expectNamedProblems(error: ConfigError): void {
  expect(error.problems.length).toBeGreaterThan(0);
  for (const problem of error.problems) {
    expect(problem.setting).toMatch(/^pitcrew\.yaml(: \S.*)?$/);
    expect(problem.problem.trim().length).toBeGreaterThan(2);
  }
  for (const secret of secrets) expect(error.message).not.toContain(secret);
}

describe('parseConfig under random and mutated input', () => {
  it('loads the valid config the mutations start from', () => {
    expect(load(stringify(valid))).toEqual({ ok: true });
  });

  it('any text: a config, or one ConfigError naming every problem', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'grapheme' }),
          fc.jsonValue().map((value) => stringify(value)),
        ),
        (text) => {
          const result = load(text);
          if (!result.ok) expectNamedProblems(result.error);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('any mutation of a valid config: a config, or a ConfigError naming the key, never quoting a secret', () => {
    let refused = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            path: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
            value: anyValue,
            mode: fc.constantFrom<'set' | 'delete' | 'add'>('set', 'delete', 'add'),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        (mutations) => {
          const config = mutations.reduce<unknown>(
            (current, m) => mutate(current, m.path, m.value, m.mode),
            valid,
          );
          const result = load(stringify(config));
          if (!result.ok) {
            refused += 1;
            expectNamedProblems(result.error);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
    expect(refused).toBeGreaterThan(60);
  });

  it('any byte-level damage to a valid file: a config or a ConfigError', () => {
    const text = stringify(valid);
    fc.assert(
      fc.property(
        fc.nat({ max: text.length }),
        fc.nat({ max: 20 }),
        fc.string({ maxLength: 5 }),
        (at, cut, insert) => {
          const result = load(`${text.slice(0, at)}${insert}${text.slice(at + cut)}`);
          if (!result.ok) expectNamedProblems(result.error);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});
