import * as v from '../schema/valibot';
import type { ParsedWebhook } from './types';

/** The body as JSON, or the `invalid` answer that names it. */
export function parseJsonBody(
  rawBody: Buffer,
): { ok: true; value: unknown } | { ok: false; invalid: ParsedWebhook } {
  try {
    return { ok: true, value: JSON.parse(rawBody.toString('utf8')) };
  } catch {
    return { ok: false, invalid: { kind: 'invalid', field: 'body', problem: 'is not valid JSON' } };
  }
}

/** Turns a failed parse into the `invalid` answer naming the first bad field as a dotted path. */
export function invalidFromIssues(issues: readonly v.BaseIssue<unknown>[]): ParsedWebhook {
  const issue = issues[0];
  const field = (issue && v.issuePath(issue)) || 'body';
  return { kind: 'invalid', field, problem: issue?.message ?? 'is invalid' };
}
