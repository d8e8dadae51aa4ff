import type * as z from '../schema/zod';
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

/** Turns a zod failure into the `invalid` answer naming the first bad field as a dotted path. */
export function invalidFromZod(error: z.core.$ZodError): ParsedWebhook {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  return { kind: 'invalid', field, problem: issue?.message ?? 'is invalid' };
}
