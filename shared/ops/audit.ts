import * as v from '../schema/valibot';
import type { Context } from 'aws-lambda';
import { OpsError } from './errors';
import { opsEventSchema } from './event';
import type { OpsResult } from './run-action';
import { messageOf } from '../message-of';

/**
 * Who invoked the ops function, as far as the function can know. Lambda does not pass the IAM
 * principal of an `Invoke` to the function (CloudTrail records it, as a data event): what it does
 * pass is the ARN that was invoked, the request id, a Cognito identity when the caller used Cognito
 * credentials, and a client context when the caller sent one. `actor` is the caller's own word.
 */
export interface OpsCaller {
  /** The event's `actor`: who the caller says it is (the CLI: PITCREW_ACTOR, or user@host). Unverified. */
  readonly actor?: string;
  readonly invokedFunctionArn: string;
  /** The invocation's request id, to find it again in the function's logs and in CloudTrail. */
  readonly requestId: string;
  readonly cognitoIdentity?: { readonly identityId: string; readonly identityPoolId: string };
  /** Whatever the caller sent as the Invoke's client context (Lambda caps it at 3,583 bytes). */
  readonly clientContext?: unknown;
}

export type OpsOutcome =
  | { readonly result: OpsResult }
  | { readonly error: unknown }
  /** Logged as it starts: what was asked, before anything is done. */
  | { readonly started: true };

/** The structured log lines of an ops invocation, as it starts and as it ends: who asked, for what, and what came of it. */
export interface OpsAuditRecord {
  readonly caller: OpsCaller;
  /** The action asked for, when the event names one. */
  readonly action?: string;
  /**
   * The parsed arguments (none of them is a secret: the schema takes none). For an event that does
   * not parse, only the names of its fields, as its values may be anything.
   */
  readonly arguments?: Record<string, unknown>;
  readonly fields?: readonly string[];
  readonly outcome: 'started' | 'done' | 'refused' | 'failed';
  /** What the action changed or found, in short (the full answer goes to the caller). */
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly type: string; readonly message: string };
}

type CallerContext = Pick<Context, 'invokedFunctionArn' | 'awsRequestId' | 'identity' | 'clientContext'>;

export function callerOf(event: unknown, context: CallerContext): OpsCaller {
  const actor = fieldOf(event, 'actor');
  const identity = context.identity;
  return {
    ...(typeof actor === 'string' ? { actor: actor.slice(0, 200) } : {}),
    invokedFunctionArn: context.invokedFunctionArn,
    requestId: context.awsRequestId,
    ...(identity?.cognitoIdentityId
      ? {
          cognitoIdentity: {
            identityId: identity.cognitoIdentityId,
            identityPoolId: identity.cognitoIdentityPoolId,
          },
        }
      : {}),
    ...(context.clientContext ? { clientContext: context.clientContext } : {}),
  };
}

export function auditRecord(event: unknown, caller: OpsCaller, outcome: OpsOutcome): OpsAuditRecord {
  const parsed = v.safeParse(opsEventSchema, event);
  const named = fieldOf(event, 'action');
  const request = parsed.success
    ? { action: parsed.output.action, arguments: argumentsOf(parsed.output) }
    : {
        ...(typeof named === 'string' ? { action: named.slice(0, 50) } : {}),
        fields: isObject(event) ? Object.keys(event).slice(0, 20) : [],
      };
  if ('started' in outcome) return { caller, ...request, outcome: 'started' };
  if ('result' in outcome) return { caller, ...request, outcome: 'done', result: summaryOf(outcome.result) };
  const { error } = outcome;
  return {
    caller,
    ...request,
    outcome: error instanceof OpsError ? 'refused' : 'failed',
    error: {
      type: error instanceof Error ? error.name : typeof error,
      message: messageOf(error),
    },
  };
}

function argumentsOf(event: Record<string, unknown>): Record<string, unknown> {
  const { action: _action, actor: _actor, ...rest } = event;
  return rest;
}

/** The part of an answer worth keeping in the log: what changed, and counts instead of lists. */
function summaryOf(result: OpsResult): Record<string, unknown> {
  const { action: _action, ...answer } = result as Record<string, unknown>;
  switch (result.action) {
    case 'status':
      return { drained: answer.drained };
    case 'list':
      return {
        items: Array.isArray(answer.items) ? answer.items.length : 0,
        more: answer.next !== undefined,
      };
    case 'describe':
      return { status: (answer.request as { status?: unknown } | undefined)?.status };
    case 'caps':
      return answer.changed === undefined ? {} : { changed: answer.changed, woken: answer.woken };
    case 'reconcile': {
      const {
        podsByPhase: _phases,
        podsByTemplate: _templates,
        ...counts
      } = (answer.report ?? {}) as Record<string, unknown>;
      return counts;
    }
    default:
      // drain, resume, cancel, retry, redrive: a few fields, all of them what changed.
      return answer;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const fieldOf = (event: unknown, field: string): unknown => (isObject(event) ? event[field] : undefined);
