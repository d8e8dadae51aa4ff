import * as v from '../schema/valibot';
import { requestStatuses } from '../requests/record';
import { ciSources } from '../sources/names';
import { refuseUnconfirmed } from './confirm';
import { OpsInputError } from './errors';

/**
 * The ops function's input: one action and its arguments. Parsed once at the edge, so every action
 * below works on typed values; a bad event fails with an `OpsInputError` naming the field.
 * docs/operations.md documents each action with an example.
 */
const requestId = v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(200));
// v.number() with an integer check, not v.int(): the message is for fractions, not for a string.
const cap = v.pipe(
  v.number(),
  v.safeInteger('must be a whole number'),
  v.minValue(0, 'must be 0 or more'),
  v.maxValue(100_000),
);

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
  actor: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(200))),
};
/** What a destructive action needs to run: `confirm: true` (the CLI's `--yes`); see confirm.ts. */
const confirm = { confirm: v.optional(v.boolean()) };

const nonEmpty = v.pipe(v.string(), v.minLength(1));

export const opsEventSchema = v.variant('action', [
  v.strictObject({ action: v.literal('status'), ...who }),
  v.strictObject({
    action: v.literal('list'),
    status: v.optional(v.picklist(requestStatuses)),
    template: v.optional(nonEmpty),
    source: v.optional(v.picklist(ciSources)),
    limit: v.optional(v.pipe(v.int(), v.minValue(1), v.maxValue(listDefaults.maxLimit)), listDefaults.limit),
    /** The `next` of the previous page. */
    cursor: v.optional(nonEmpty),
    ...who,
  }),
  v.strictObject({ action: v.literal('describe'), requestId, ...who }),
  v.strictObject({ action: v.literal('drain'), ...who, ...confirm }),
  v.strictObject({ action: v.literal('resume'), ...who }),
  /** `force` also trims running agents over a lowered cap (normally only pending ones). */
  v.strictObject({
    action: v.literal('reconcile'),
    force: v.optional(v.boolean(), false),
    ...who,
    ...confirm,
  }),
  v.strictObject({ action: v.literal('cancel'), requestId, ...who, ...confirm }),
  v.strictObject({ action: v.literal('retry'), requestId, ...who }),
  v.strictObject({
    action: v.literal('redrive'),
    max: v.optional(v.pipe(v.int(), v.minValue(1), v.maxValue(redriveDefaults.maxMax)), redriveDefaults.max),
    ...who,
    ...confirm,
  }),
  /**
   * Without `cap`: read every cap. With `cap`: set the template's cap, or the global cap when no
   * template is named; `cap: null` removes the override, so the config file's value applies again.
   */
  v.strictObject({
    action: v.literal('caps'),
    template: v.optional(nonEmpty),
    cap: v.optional(v.nullable(cap)),
    ...who,
    ...confirm,
  }),
]);
export type OpsEvent = v.InferOutput<typeof opsEventSchema>;

/**
 * Parses an ops event or throws an `OpsInputError` that names the first bad field, or `confirm` when
 * a destructive action comes without `confirm: true` (nothing is read or written before this).
 */
export function parseOpsEvent(event: unknown): OpsEvent {
  // Checked here, not by the schema: valibot's objects would read an array as {}.
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    throw new OpsInputError(
      'action',
      'is required: the event must be a JSON object such as {"action": "status"}',
    );
  const parsed = v.safeParse(opsEventSchema, event);
  if (parsed.success) {
    refuseUnconfirmed(parsed.output);
    return parsed.output;
  }
  const issue = parsed.issues[0];
  if (!issue) throw new OpsInputError('action', 'could not be read');
  const path = v.issuePath(issue);
  if (issue.type === 'variant' || path === 'action') {
    const given = (event as { action?: unknown }).action;
    throw new OpsInputError(
      'action',
      `${given === undefined ? 'is required' : `${describeValue(given)} is not an action`}: use one of ${opsActions.join(', ')}`,
    );
  }
  const unknownKey = v.unknownKeyOf(issue);
  if (unknownKey !== undefined) throw new OpsInputError(unknownKey, `is not a field of this action`);
  const field = path || 'event';
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
