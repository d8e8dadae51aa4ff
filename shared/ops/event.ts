import * as z from '../schema/zod';
import { requestStatuses } from '../requests/record';
import { ciSources } from '../sources/names';
import { refuseUnconfirmed } from './confirm';
import { OpsInputError } from './errors';

/**
 * The ops function's input: one action and its arguments. Parsed once at the edge, so every action
 * below works on typed values; a bad event fails with an `OpsInputError` naming the field.
 * docs/operations.md documents each action with an example.
 */
const requestId = z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200));
// z.number() with an int check, not z.int(msg): the message is for fractions, not for a string.
const cap = z
  .number()
  .check(z.int('must be a whole number'), z.nonnegative('must be 0 or more'), z.maximum(100_000));

export const opsActions = [
  'status',
  'list',
  'describe',
  'drain',
  'resume',
  'reconcile',
  'cancel',
  'retry',
  'redrive',
  'caps',
] as const;
export type OpsAction = (typeof opsActions)[number];

export const listDefaults = { limit: 50, maxLimit: 500 } as const;
export const redriveDefaults = { max: 100, maxMax: 10_000 } as const;

/**
 * Every action may say who asks: `actor` is the caller's own word (the CLI sends PITCREW_ACTOR, or
 * the operator's user and host), logged with the invocation; nothing checks it (docs/operations.md).
 */
const who = {
  actor: z.optional(z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200))),
};
/** What a destructive action needs to run: `confirm: true` (the CLI's `--yes`); see confirm.ts. */
const confirm = { confirm: z.optional(z.boolean()) };

const nonEmpty = z.string().check(z.minLength(1));

export const opsEventSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('status'), ...who }),
  z.strictObject({
    action: z.literal('list'),
    status: z.optional(z.enum(requestStatuses)),
    template: z.optional(nonEmpty),
    source: z.optional(z.enum(ciSources)),
    limit: z._default(z.int().check(z.minimum(1), z.maximum(listDefaults.maxLimit)), listDefaults.limit),
    /** The `next` of the previous page. */
    cursor: z.optional(nonEmpty),
    ...who,
  }),
  z.strictObject({ action: z.literal('describe'), requestId, ...who }),
  z.strictObject({ action: z.literal('drain'), ...who, ...confirm }),
  z.strictObject({ action: z.literal('resume'), ...who }),
  /** `force` also trims running agents over a lowered cap (normally only pending ones). */
  z.strictObject({
    action: z.literal('reconcile'),
    force: z._default(z.boolean(), false),
    ...who,
    ...confirm,
  }),
  z.strictObject({ action: z.literal('cancel'), requestId, ...who, ...confirm }),
  z.strictObject({ action: z.literal('retry'), requestId, ...who }),
  z.strictObject({
    action: z.literal('redrive'),
    max: z._default(z.int().check(z.minimum(1), z.maximum(redriveDefaults.maxMax)), redriveDefaults.max),
    ...who,
    ...confirm,
  }),
  /**
   * Without `cap`: read every cap. With `cap`: set the template's cap, or the global cap when no
   * template is named; `cap: null` removes the override, so the config file's value applies again.
   */
  z.strictObject({
    action: z.literal('caps'),
    template: z.optional(nonEmpty),
    cap: z.optional(z.nullable(cap)),
    ...who,
    ...confirm,
  }),
]);
export type OpsEvent = z.infer<typeof opsEventSchema>;

/**
 * Parses an ops event or throws an `OpsInputError` that names the first bad field, or `confirm` when
 * a destructive action comes without `confirm: true` (nothing is read or written before this).
 */
export function parseOpsEvent(event: unknown): OpsEvent {
  const parsed = opsEventSchema.safeParse(event);
  if (parsed.success) {
    refuseUnconfirmed(parsed.data);
    return parsed.data;
  }
  const issue = parsed.error.issues[0];
  if (!issue) throw new OpsInputError('action', 'could not be read');
  if (issue.code === 'invalid_union' || (issue.path[0] === 'action' && issue.path.length === 1)) {
    const given =
      typeof event === 'object' && event !== null ? (event as { action?: unknown }).action : undefined;
    throw new OpsInputError(
      'action',
      `${given === undefined ? 'is required' : `${describeValue(given)} is not an action`}: use one of ${opsActions.join(', ')}`,
    );
  }
  if (issue.path.length === 0 && issue.code === 'invalid_type')
    throw new OpsInputError(
      'action',
      'is required: the event must be a JSON object such as {"action": "status"}',
    );
  if (issue.code === 'unrecognized_keys')
    throw new OpsInputError(issue.keys[0] ?? '?', `is not a field of this action`);
  const field = issue.path.join('.') || 'event';
  throw new OpsInputError(field, issue.message.replace(/^Invalid input: /, ''));
}

/** A value from the event, quoted for a message; never throws, whatever the value (even `{"toString": null}`). */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.slice(0, 100)}'`;
  try {
    return (JSON.stringify(value) ?? typeof value).slice(0, 100);
  } catch {
    return typeof value;
  }
}
