import * as v from '../../../shared/schema/valibot';
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { destructiveEffect, opsActions, opsEventSchema, type OpsAction } from '../../../shared/ops';
import { UsageError } from './usage';

export interface OpsTarget {
  /** A deployed stage, or the local system (`pitcrew dev`) when absent. */
  readonly stage?: string;
  readonly region?: string;
  readonly functionName?: string;
}

export interface OpsCommand {
  readonly event: Record<string, unknown> & { action: OpsAction };
  readonly json: boolean;
  readonly target: OpsTarget;
}

export const isOpsAction = (command: string | undefined): command is OpsAction =>
  (opsActions as readonly string[]).includes(command ?? '');

function wholeNumber(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${option} must be a whole number, got '${value}'`);
  return Number(value);
}

function capValue(value: string, what: string): number | null {
  if (value === 'default') return null;
  if (!/^\d+$/.test(value))
    throw new UsageError(`${what} must be a whole number or 'default', got '${value}'`);
  return Number(value);
}

function oneRequestId(action: string, positionals: string[]): string {
  const [requestId, ...extra] = positionals;
  if (requestId === undefined || extra.length > 0)
    throw new UsageError(
      `${action} takes one request id (see \`pitcrew list\`), e.g. pitcrew ${action} github-0123abcd`,
    );
  return requestId;
}

/**
 * Turns `pitcrew <action> ...` into the ops event the function takes. The function validates the
 * event again (the same schema), so this only has to get the shape right and name bad options.
 */
export function parseOpsCommand(action: OpsAction, argv: string[]): OpsCommand {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      stage: { type: 'string' },
      region: { type: 'string' },
      function: { type: 'string' },
      status: { type: 'string' },
      template: { type: 'string' },
      source: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      force: { type: 'boolean' },
      max: { type: 'string' },
      global: { type: 'string' },
      yes: { type: 'boolean' },
    },
  });
  const allowed: Record<OpsAction, readonly string[]> = {
    status: [],
    list: ['status', 'template', 'source', 'limit', 'cursor'],
    describe: [],
    drain: ['yes'],
    resume: [],
    reconcile: ['force', 'yes'],
    cancel: ['yes'],
    retry: [],
    redrive: ['max', 'yes'],
    caps: ['global', 'yes'],
  };
  const common = ['json', 'stage', 'region', 'function'];
  for (const option of Object.keys(values)) {
    if (!common.includes(option) && !allowed[action].includes(option))
      throw new UsageError(`${action} does not take --${option}`);
  }
  // Without --stage the command acts on the local system: one that names a deployed system's region
  // or function but no stage would act there instead of where the operator meant.
  if (values.stage === undefined && (values.region !== undefined || values.function !== undefined))
    throw new UsageError(
      `--${values.region !== undefined ? 'region' : 'function'} names a deployed system: add --stage (without it, ${action} acts on the local system of \`pitcrew dev\`)`,
    );
  const takesNoArguments = ['status', 'list', 'drain', 'resume', 'reconcile', 'redrive'];
  if (takesNoArguments.includes(action) && positionals.length > 0)
    throw new UsageError(`${action} takes no arguments, got '${positionals.join(' ')}'`);

  const event = ((): OpsCommand['event'] => {
    switch (action) {
      case 'list':
        return {
          action,
          ...(values.status ? { status: values.status } : {}),
          ...(values.template ? { template: values.template } : {}),
          ...(values.source ? { source: values.source } : {}),
          ...(values.limit ? { limit: wholeNumber('--limit', values.limit) } : {}),
          ...(values.cursor ? { cursor: values.cursor } : {}),
        };
      case 'describe':
      case 'cancel':
      case 'retry':
        return { action, requestId: oneRequestId(action, positionals) };
      case 'reconcile':
        return { action, force: values.force ?? false };
      case 'redrive':
        return { action, ...(values.max ? { max: wholeNumber('--max', values.max) } : {}) };
      case 'caps':
        return capsEvent(values.global, positionals);
      default:
        return { action };
    }
  })();
  if (values.yes) event.confirm = true;
  else refuseUnconfirmed(event);
  return {
    event,
    json: values.json ?? false,
    target: { stage: values.stage, region: values.region, functionName: values.function },
  };
}

function capsEvent(global: string | undefined, positionals: string[]): OpsCommand['event'] {
  if (global !== undefined) {
    if (positionals.length > 0) throw new UsageError('caps --global takes no template');
    return { action: 'caps', cap: capValue(global, '--global') };
  }
  if (positionals.length === 0) return { action: 'caps' };
  const [template, cap, ...extra] = positionals;
  if (template === undefined || cap === undefined || extra.length > 0)
    throw new UsageError('caps takes a template and a cap, e.g. pitcrew caps gh-linux 5 (or `default`)');
  return { action: 'caps', template, cap: capValue(cap, 'the cap') };
}

/**
 * A destructive action without --yes stops here, before anything is invoked; the function refuses
 * it too (`confirm` in the event). An event the function would refuse anyway is left to it.
 */
function refuseUnconfirmed(event: OpsCommand['event']): void {
  const parsed = v.safeParse(opsEventSchema, event);
  const effect = parsed.success ? destructiveEffect(parsed.output) : undefined;
  if (effect !== undefined)
    throw new UsageError(`${effect}: nothing was done. Run it again with --yes to go ahead`);
}

/**
 * Who the operator is, for the ops function's audit line (`actor`): PITCREW_ACTOR when set (e.g.
 * `PITCREW_ACTOR=$(aws sts get-caller-identity --query Arn --output text)`), else user@host.
 * The function logs it as the caller's word; CloudTrail records who really invoked it.
 */
export function operatorOf(env: NodeJS.ProcessEnv, host: string = hostname()): string {
  const declared = env.PITCREW_ACTOR?.trim();
  if (declared) return declared.slice(0, 200);
  return `${env.USER ?? env.USERNAME ?? osUser()}@${host}`.slice(0, 200);
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
