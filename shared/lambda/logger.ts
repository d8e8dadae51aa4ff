import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON line per log call: the Lambda request id (`function_request_id`) once
 * `injectLambdaContext` runs, the stage when given, and whatever the domain adds (the request id and
 * CI job key of the build a line is about). Level from POWERTOOLS_LOG_LEVEL (default INFO), read by
 * Powertools itself. Events are never logged: a webhook body is the CI's, not ours to keep.
 */
export const createLogger = (fn: string, stage?: string): Logger =>
  new Logger({ serviceName: `pitcrew-${fn}`, ...(stage ? { persistentKeys: { stage } } : {}) });
