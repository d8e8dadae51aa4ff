import { z } from 'zod';
import { requestStatuses } from '../requests/record';
import { ciSources } from '../sources/names';
import { refuseUnconfirmed } from './confirm';
import { OpsInputError } from './errors';

/**
 * The ops function's input: one action and its arguments. Parsed once at the edge, so every action
 * below works on typed values; a bad event fails with an `OpsInputError` naming the field.
 * docs/operations.md documents each action with an example.
 */
const requestId = z.string().trim().min(1, 'must not be empty').max(200);
const cap = z.number().int('must be a whole number').nonnegative('must be 0 or more').max(100_000);

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
const who = { actor: z.string().trim().min(1, 'must not be empty').max(200).optional() };
/** What a destructive action needs to run: `confirm: true` (the CLI's `--yes`); see confirm.ts. */
const confirm = { confirm: z.boolean().optional() };

export const opsEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('status'), ...who }).strict(),
  z
    .object({
      action: z.literal('list'),
      status: z.enum(requestStatuses).optional(),
      template: z.string().min(1).optional(),
      source: z.enum(ciSources).optional(),
      limit: z.number().int().min(1).max(listDefaults.maxLimit).default(listDefaults.limit),
      /** The `next` of the previous page. */
      cursor: z.string().min(1).optional(),
      ...who,
    })
    .strict(),
  z.object({ action: z.literal('describe'), requestId, ...who }).strict(),
  z.object({ action: z.literal('drain'), ...who, ...confirm }).strict(),
  z.object({ action: z.literal('resume'), ...who }).strict(),
  /** `force` also trims running agents over a lowered cap (normally only pending ones). */
  z
    .object({ action: z.literal('reconcile'), force: z.boolean().default(false), ...who, ...confirm })
    .strict(),
  z.object({ action: z.literal('cancel'), requestId, ...who, ...confirm }).strict(),
  z.object({ action: z.literal('retry'), requestId, ...who }).strict(),
  z
    .object({
      action: z.literal('redrive'),
      max: z.number().int().min(1).max(redriveDefaults.maxMax).default(redriveDefaults.max),
      ...who,
      ...confirm,
    })
    .strict(),
  /**
   * Without `cap`: read every cap. With `cap`: set the template's cap, or the global cap when no
   * template is named; `cap: null` removes the override, so the config file's value applies again.
   */
  z
    .object({
      action: z.literal('caps'),
      template: z.string().min(1).optional(),
      cap: cap.nullable().optional(),
      ...who,
      ...confirm,
    })
    .strict(),
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
