import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON line per log call, with the Lambda request id once `injectLambdaContext`
 * runs. Level from POWERTOOLS_LOG_LEVEL (default INFO), read by Powertools itself.
 */
export const createLogger = (fn: string): Logger => new Logger({ serviceName: `pitcrew-${fn}` });
