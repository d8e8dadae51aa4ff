import * as v from '../schema/valibot';
import type { ParsedWebhook, WebhookInput } from './types';

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

/** A delivery's id, what its CI's deliveries are told apart by: at most 200 characters. */
export const deliveryIdSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

/**
 * The delivery id in `header`, or the `invalid` answer naming it: missing (or empty), or too long,
 * each said as what it is.
 */
export function deliveryIdFrom(
  headers: WebhookInput['headers'],
  header: string,
  schema: v.GenericSchema<unknown, string> = deliveryIdSchema,
): { ok: true; deliveryId: string } | { ok: false; invalid: ParsedWebhook } {
  const value = headers[header];
  const parsed = v.safeParse(schema, value);
  if (parsed.success) return { ok: true, deliveryId: parsed.output };
  const missing = value === undefined || value.trim() === '';
  return {
    ok: false,
    invalid: {
      kind: 'invalid',
      field: `header ${header}`,
      problem: missing
        ? 'is required (a unique id per delivery)'
        : 'is over 200 characters (a unique id per delivery)',
    },
  };
}

/**
 * A delivery of one of Pitcrew's own contracts (the generic webhook, the Jenkins plugin's events):
 * its id from `header`, then its JSON body, each against its contract's schema; or the `invalid`
 * answer that names the first bad part.
 */
export function parseContractDelivery<const Body extends v.GenericSchema>(
  input: WebhookInput,
  contract: {
    readonly header: string;
    /** The id's schema, when not `deliveryIdSchema`. */
    readonly idSchema?: v.GenericSchema<unknown, string>;
    readonly bodySchema: Body;
  },
): { ok: true; deliveryId: string; body: v.InferOutput<Body> } | { ok: false; invalid: ParsedWebhook } {
  const delivery = deliveryIdFrom(input.headers, contract.header, contract.idSchema);
  if (!delivery.ok) return delivery;
  const json = parseJsonBody(input.rawBody);
  if (!json.ok) return json;
  const body = v.safeParse(contract.bodySchema, json.value);
  if (!body.success) return { ok: false, invalid: invalidFromIssues(body.issues) };
  return { ok: true, deliveryId: delivery.deliveryId, body: body.output };
}
