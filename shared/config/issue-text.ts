import type * as z from '../schema/zod';

type Issue = z.core.$ZodIssue;

/** One problem of a config, where it is and what is wrong, in words a person acts on. */
export interface IssueText {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

const missing = (issue: Issue): boolean =>
  issue.code === 'invalid_type' && /received undefined$/.test(issue.message);

/**
 * zod's issues, worded for a config's author. zod answers a value that matches no branch of a
 * union with one "Invalid input" for the whole union, which leaves the author guessing which
 * field of which form is wrong. So:
 * - when exactly one branch got past the value's keys (all its issues lie inside the value), the
 *   input was meant for that one: its issues are told, at their full paths (`auth.app.appId`);
 * - otherwise the union's own message is told when it has one (the schema's words for its forms),
 *   or the forms the branches ask for (`one of { env } | { ssm } ...`), with any key none knows;
 * - a key left out is "required", not "expected string, received undefined" (a union's too).
 */
export function issueTexts(issues: readonly Issue[], at: readonly PropertyKey[] = []): IssueText[] {
  return issues.flatMap((issue): IssueText[] => {
    const path = [...at, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const [meant, ...others] = issue.errors.filter((branch) =>
        branch.every((inner) => inner.path.length > 0),
      );
      if (meant && others.length === 0) return issueTexts(meant, path);
      const absent = issue.errors.every((branch) =>
        branch.some((inner) => inner.path.length === 0 && missing(inner)),
      );
      return [{ path, message: `${absent ? 'is required: it ' : ''}${unionMessage(issue)}` }];
    }
    if (missing(issue) && issue.code === 'invalid_type')
      return [{ path, message: `is required (expected ${issue.expected})` }];
    return [{ path, message: issue.message }];
  });
}

function unionMessage(issue: Extract<Issue, { code: 'invalid_union' }>): string {
  if (issue.message !== 'Invalid input') return issue.message;
  // Objects told apart by their keys: the keys each form lacks are the form.
  const forms = issue.errors.map((branch) =>
    branch.filter((inner) => inner.path.length === 1 && missing(inner)).map((inner) => String(inner.path[0])),
  );
  if (forms.every((keys) => keys.length > 0)) {
    const unknown = [
      ...new Set(
        issue.errors.flatMap((branch) =>
          branch.flatMap((inner) => (inner.code === 'unrecognized_keys' ? inner.keys : [])),
        ),
      ),
    ];
    const list = forms.map((keys) => `{ ${keys.join(', ')} }`).join(' | ');
    return `expected one of ${list}${unknown.length > 0 ? `; unknown key ${unknown.join(', ')}` : ''}`;
  }
  return issue.message;
}
