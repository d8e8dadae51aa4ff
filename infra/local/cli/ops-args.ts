import { parseArgs } from 'node:util';
import { opsActions, type OpsAction } from '../../../shared/ops';
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
    },
  });
  const allowed: Record<OpsAction, readonly string[]> = {
    status: [],
    list: ['status', 'template', 'source', 'limit', 'cursor'],
    describe: [],
    drain: [],
    resume: [],
    reconcile: ['force'],
    cancel: [],
    retry: [],
    redrive: ['max'],
    caps: ['global'],
  };
  const common = ['json', 'stage', 'region', 'function'];
  for (const option of Object.keys(values)) {
    if (!common.includes(option) && !allowed[action].includes(option))
      throw new UsageError(`${action} does not take --${option}`);
  }
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
