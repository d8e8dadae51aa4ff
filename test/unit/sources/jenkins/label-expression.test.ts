import {
  evaluateLabelExpression,
  type LabelExpression,
  maxLabelNesting,
  maxLabelTokens,
  parseLabelExpression,
  satisfyingLabels,
} from '../../../../shared/sources/jenkins/label-expression';
import { formatLabelString } from '../../../../shared/sources/jenkins/label-string';

const parse = (text: string): LabelExpression => {
  const parsed = parseLabelExpression(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.problem}`);
  return parsed.expression;
};

describe('parseLabelExpression', () => {
  it('refuses parentheses nested past the limit with a reason, instead of overflowing the stack', () => {
    const nested = (depth: number): string => `${'('.repeat(depth)}linux${')'.repeat(depth)}`;
    expect(parseLabelExpression(nested(maxLabelNesting))).toMatchObject({ ok: true });
    expect(parseLabelExpression(nested(100))).toEqual({
      ok: false,
      problem: `parentheses nest deeper than ${maxLabelNesting} levels at ${maxLabelNesting + 1}`,
    });
  });

  it('refuses more labels and operators than the limit with a reason, instead of overflowing the stack', () => {
    // n atoms joined by && are 2n - 1 tokens.
    const chain = (atoms: number): string =>
      Array.from({ length: atoms }, (_, index) => `l${index % 16}`).join(' && ');
    expect(parseLabelExpression(`${chain(maxLabelTokens / 2)} `)).toMatchObject({ ok: true });
    expect(parseLabelExpression(`${chain(maxLabelTokens / 2)} && x`)).toEqual({
      ok: false,
      problem: `has more than ${maxLabelTokens} labels and operators`,
    });
    // A chain deeper than the evaluator's stack (it threw a RangeError out of the webhook's parse).
    expect(parseLabelExpression(chain(20_000))).toMatchObject({ ok: false });
  });

  it('reads a single label, with the characters Jenkins allows in one', () => {
    expect(parse('ubuntu-22.04_x86')).toEqual({ kind: 'atom', name: 'ubuntu-22.04_x86' });
  });

  it('gives && precedence over || and ! over both, as Jenkins does', () => {
    expect(parse('a || b && !c')).toEqual({
      kind: 'or',
      left: { kind: 'atom', name: 'a' },
      right: {
        kind: 'and',
        left: { kind: 'atom', name: 'b' },
        right: { kind: 'not', operand: { kind: 'atom', name: 'c' } },
      },
    });
  });

  it('reads operators without spaces, -> next to a dash inside a label, and <->', () => {
    expect(parse('linux&&docker')).toEqual({
      kind: 'and',
      left: { kind: 'atom', name: 'linux' },
      right: { kind: 'atom', name: 'docker' },
    });
    expect(parse('x-1->y')).toEqual({
      kind: 'implies',
      left: { kind: 'atom', name: 'x-1' },
      right: { kind: 'atom', name: 'y' },
    });
    expect(parse('a<->b').kind).toBe('iff');
  });

  it('reads quoted labels with spaces and escapes', () => {
    expect(parse('"my label" && "say \\"hi\\""')).toEqual({
      kind: 'and',
      left: { kind: 'atom', name: 'my label' },
      right: { kind: 'atom', name: 'say "hi"' },
    });
  });

  it.each([
    ['', 'is empty'],
    ['linux docker', 'unexpected label "docker" at 7'],
    ['(linux', 'missing ")"'],
    ['linux &', 'unexpected "&" at 7'],
    ["'linux'", `unexpected "'" at 1`],
    ['"open', 'unterminated string'],
    ['a -> b -> c', 'unexpected "->"'],
    // Kept in the request: DynamoDB stores UTF-8, and an agent's environment holds no control character.
    ['linux || \ud800', 'label "\\ud800" at 10 is not text'],
    ['linux && "a\u0000b"', 'label "a\\u0000b" at 10 is not text'],
    ['x\u0007', 'label "x\\u0007" at 1 is not text'],
  ])('refuses %j: %s', (text, problem) => {
    const parsed = parseLabelExpression(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toContain(problem);
  });
});

describe('satisfyingLabels', () => {
  it.each([
    ['linux', ['linux']],
    ['linux && docker', ['linux', 'docker']],
    ['linux || mac', ['linux']],
    ['linux && (docker || podman)', ['linux', 'docker']],
    ['linux && !windows', ['linux']],
    ['!windows', []],
    ['gpu -> cuda', []],
    ['(a || b) && (b || c)', ['b']],
  ])('%s needs %j', (text, labels) => {
    expect(satisfyingLabels(parse(text))).toEqual(labels);
  });

  it('finds nothing for a contradiction', () => {
    expect(satisfyingLabels(parse('a && !a'))).toBeUndefined();
  });

  it('gives up on more than 16 distinct labels', () => {
    const many = Array.from({ length: 17 }, (_, index) => `l${index}`).join(' && ');
    expect(satisfyingLabels(parse(many))).toBeUndefined();
  });

  it('always returns a set that satisfies the expression', () => {
    for (const text of ['a && (b || c) && !d', '(a -> b) && a', 'a <-> b', '!(a && b) && (a || b)']) {
      const expression = parse(text);
      const labels = satisfyingLabels(expression);
      expect(labels).toBeDefined();
      expect(evaluateLabelExpression(expression, new Set(labels))).toBe(true);
    }
  });
});

describe('formatLabelString', () => {
  it('separates labels with spaces and quotes one that holds a space', () => {
    expect(formatLabelString(['linux', 'my label'])).toBe('linux "my label"');
  });
});
