import { notText } from '../text';

/**
 * Jenkins label expressions, as Jenkins itself reads them: `linux && (docker || podman)`, `!windows`,
 * `"my label" -> gpu`. Grammar and precedence follow Jenkins core's ANTLR grammar
 * (core/src/main/antlr/hudson/model/labels/LabelExpressionLexer.g4 and LabelExpressionParser.g4,
 * https://github.com/jenkinsci/jenkins), documented for users at
 * https://www.jenkins.io/doc/pipeline/steps/workflow-durable-task-step/#node-allocate-node:
 * `<->` binds loosest, then `->` (not chainable), `||`, `&&`, and `!` tightest.
 */
export type LabelExpression =
  | { readonly kind: 'atom'; readonly name: string }
  | { readonly kind: 'not'; readonly operand: LabelExpression }
  | {
      readonly kind: 'and' | 'or' | 'implies' | 'iff';
      readonly left: LabelExpression;
      readonly right: LabelExpression;
    };

export type LabelExpressionParse =
  | { readonly ok: true; readonly expression: LabelExpression }
  | { readonly ok: false; readonly problem: string };

type Token =
  | { readonly kind: 'atom'; readonly text: string; readonly at: number }
  | { readonly kind: '&&' | '||' | '!' | '->' | '<->' | '(' | ')'; readonly at: number };

class LabelSyntaxError extends Error {}

const operators = ['<->', '->', '&&', '||', '!', '(', ')'] as const;
/** Characters an unquoted atom cannot hold (the lexer's IDENTIFIER_PART); `-` is allowed unless it starts `->`. */
const atomStop = new Set(['&', '|', '!', '<', '>', '(', ')', ' ', '\t', '"', "'"]);
const escapes: Readonly<Record<string, string>> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  '"': '"',
  "'": "'",
  '\\': '\\',
};

function readString(text: string, start: number): { value: string; end: number } {
  let value = '';
  for (let i = start + 1; i < text.length; i += 1) {
    const char = text.charAt(i);
    if (char === '"') return { value, end: i + 1 };
    if (char === '\r' || char === '\n') break;
    if (char !== '\\') {
      value += char;
      continue;
    }
    const escaped = escapes[text.charAt(i + 1)];
    if (escaped === undefined) throw new LabelSyntaxError(`unknown escape at ${i + 1}`);
    value += escaped;
    i += 1;
  }
  throw new LabelSyntaxError(`unterminated string starting at ${start + 1}`);
}

function readAtom(text: string, start: number): { value: string; end: number } {
  let end = start;
  while (end < text.length) {
    const char = text.charAt(end);
    if (atomStop.has(char) || (char === '-' && text.charAt(end + 1) === '>')) break;
    end += 1;
  }
  return { value: text.slice(start, end), end };
}

/**
 * How many labels and operators an expression may hold. Every delivery's expression is parsed,
 * then checked against up to 2^maxLabelAtoms label sets (satisfyingLabels): unbounded, a signed
 * delivery naming one long `a && b && ...` (a label is whatever a Jenkinsfile asks for) held the
 * webhook's CPU for seconds, and a longer one overflowed the evaluator's stack. 256 keeps the worst
 * case (16 labels, no set satisfying them) at 0.16 s on the bench machine, and is beyond any real
 * expression (32 labels of a contract delivery, each a few parts, joined).
 */
export const maxLabelTokens = 256;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    if (char === ' ' || char === '\t') {
      i += 1;
      continue;
    }
    // Another token starts here.
    if (tokens.length === maxLabelTokens)
      throw new LabelSyntaxError(`has more than ${maxLabelTokens} labels and operators`);
    const operator = operators.find((candidate) => text.startsWith(candidate, i));
    if (operator !== undefined) {
      tokens.push({ kind: operator, at: i + 1 });
      i += operator.length;
      continue;
    }
    const read = char === '"' ? readString(text, i) : readAtom(text, i);
    if (read.end === i) throw new LabelSyntaxError(`unexpected "${char}" at ${i + 1}`);
    // Kept in the request's record and message: DynamoDB stores UTF-8, which half a pair is not.
    if (notText.test(read.value))
      throw new LabelSyntaxError(
        `label ${JSON.stringify(read.value)} at ${i + 1} is not text (a control character or an unpaired surrogate)`,
      );
    tokens.push({ kind: 'atom', text: read.value, at: i + 1 });
    i = read.end;
  }
  return tokens;
}

/**
 * How deep parentheses may nest. Real expressions nest a few levels; a signed webhook could carry
 * thousands (a why text has no length limit), which would overflow the parser's stack.
 */
export const maxLabelNesting = 32;

/** Recursive descent over the grammar's term1..term6, one method per precedence level. */
class Parser {
  private position = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): LabelExpression {
    const expression = this.iff();
    const extra = this.tokens[this.position];
    if (extra !== undefined) throw new LabelSyntaxError(`unexpected ${describe(extra)} at ${extra.at}`);
    return expression;
  }

  private accept(kind: Token['kind']): boolean {
    if (this.tokens[this.position]?.kind !== kind) return false;
    this.position += 1;
    return true;
  }

  private iff(): LabelExpression {
    let left = this.implies();
    while (this.accept('<->')) left = { kind: 'iff', left, right: this.implies() };
    return left;
  }

  /** `(a->b)->c` differs from `a->(b->c)`, so Jenkins allows one `->` per level. */
  private implies(): LabelExpression {
    const left = this.or();
    return this.accept('->') ? { kind: 'implies', left, right: this.or() } : left;
  }

  private or(): LabelExpression {
    let left = this.and();
    while (this.accept('||')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  private and(): LabelExpression {
    let left = this.not();
    while (this.accept('&&')) left = { kind: 'and', left, right: this.not() };
    return left;
  }

  private not(): LabelExpression {
    return this.accept('!') ? { kind: 'not', operand: this.primary() } : this.primary();
  }

  private primary(): LabelExpression {
    const token = this.tokens[this.position];
    if (token === undefined) throw new LabelSyntaxError('unexpected end of expression');
    this.position += 1;
    if (token.kind === 'atom') return { kind: 'atom', name: token.text };
    if (token.kind !== '(') throw new LabelSyntaxError(`unexpected ${describe(token)} at ${token.at}`);
    if (++this.depth > maxLabelNesting)
      throw new LabelSyntaxError(`parentheses nest deeper than ${maxLabelNesting} levels at ${token.at}`);
    const inner = this.iff();
    this.depth -= 1;
    if (!this.accept(')')) throw new LabelSyntaxError(`missing ")" for the "(" at ${token.at}`);
    return inner;
  }
}

const describe = (token: Token): string =>
  token.kind === 'atom' ? `label "${token.text}"` : `"${token.kind}"`;

export function parseLabelExpression(text: string): LabelExpressionParse {
  try {
    const tokens = tokenize(text);
    if (tokens.length === 0) return { ok: false, problem: 'is empty' };
    return { ok: true, expression: new Parser(tokens).parse() };
  } catch (error) {
    if (error instanceof LabelSyntaxError) return { ok: false, problem: error.message };
    throw error;
  }
}

/** Whether an agent carrying exactly `labels` can run a build that asks for `expression`. */
export function evaluateLabelExpression(expression: LabelExpression, labels: ReadonlySet<string>): boolean {
  switch (expression.kind) {
    case 'atom':
      return labels.has(expression.name);
    case 'not':
      return !evaluateLabelExpression(expression.operand, labels);
    case 'and':
      return (
        evaluateLabelExpression(expression.left, labels) && evaluateLabelExpression(expression.right, labels)
      );
    case 'or':
      return (
        evaluateLabelExpression(expression.left, labels) || evaluateLabelExpression(expression.right, labels)
      );
    case 'implies':
      return (
        !evaluateLabelExpression(expression.left, labels) || evaluateLabelExpression(expression.right, labels)
      );
    case 'iff':
      return (
        evaluateLabelExpression(expression.left, labels) === evaluateLabelExpression(expression.right, labels)
      );
  }
}

/** The distinct atoms, in the order they first appear. */
export function labelAtoms(expression: LabelExpression): string[] {
  const atoms = new Set<string>();
  const visit = (node: LabelExpression): void => {
    if (node.kind === 'atom') atoms.add(node.name);
    else if (node.kind === 'not') visit(node.operand);
    else {
      visit(node.left);
      visit(node.right);
    }
  };
  visit(expression);
  return [...atoms];
}

/** Beyond this many atoms the exhaustive search below (2^n checks) is not worth it; no real label needs it. */
export const maxLabelAtoms = 16;

/** Every subset of `count` items as index lists, smallest first, then in order of appearance. */
function* subsetsBySize(count: number): Generator<number[]> {
  for (let size = 0; size <= count; size += 1) yield* combinations(0, count, size);
}

function* combinations(from: number, count: number, size: number): Generator<number[]> {
  if (size === 0) {
    yield [];
    return;
  }
  for (let first = from; first <= count - size; first += 1) {
    for (const rest of combinations(first + 1, count, size - 1)) yield [first, ...rest];
  }
}

/**
 * The smallest set of labels an agent must carry (and no other) for Jenkins to give it the build:
 * `linux && docker` needs both, `linux || mac` needs only `linux`, `!windows` needs none. Pitcrew
 * records it as the build's labels: an `exact` template must offer just these
 * (shared/templates/match.ts). Undefined when no set works (`a && !a`) or the expression
 * has more than `maxLabelAtoms` atoms.
 */
export function satisfyingLabels(expression: LabelExpression): string[] | undefined {
  const atoms = labelAtoms(expression);
  if (atoms.length > maxLabelAtoms) return undefined;
  for (const subset of subsetsBySize(atoms.length)) {
    const labels = subset.map((index) => atoms[index] ?? '');
    if (evaluateLabelExpression(expression, new Set(labels))) return labels;
  }
  return undefined;
}
