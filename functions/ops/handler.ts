import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { loadSettings } from '../../shared/config';
import { createLogger, NotImplementedError } from '../../shared/lambda';

loadSettings('ops', process.env);
const logger = createLogger('ops');

const opsActions = [
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
const opsEventSchema = z.object({ action: z.enum(opsActions) });

/** Placeholder until the operators issue: validates the action, then fails with "not implemented". */
async function runOpsAction(event: unknown): Promise<never> {
  const parsed = opsEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(`invalid ops event: field 'action' must be one of ${opsActions.join(', ')}`);
  }
  throw new NotImplementedError(`ops action '${parsed.data.action}'`);
}

export const handler = middy(runOpsAction).use(injectLambdaContext(logger));
