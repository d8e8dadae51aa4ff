import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { loadSettings } from '../../shared/config';
import { createLogger, NotImplementedError } from '../../shared/lambda';

loadSettings('reap', process.env);
const logger = createLogger('reap');

/** Placeholder until the reaper issue: fails, so the schedule's error metric shows it is not running. */
async function reap(): Promise<never> {
  throw new NotImplementedError('the reaper');
}

export const handler = middy(reap).use(injectLambdaContext(logger));
