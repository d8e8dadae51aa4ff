import limits from '../../infra/limits.json' with { type: 'json' };

/**
 * Queue and timeout settings, read by `serverless.yml` (`${file(./infra/limits.json):...}`) and by
 * the local harness from the same file, so ElasticMQ and SQS behave alike. The visibility timeout is
 * six times the provision timeout (AWS's advice for Lambda event sources) so a slow batch is not
 * delivered a second time while it still runs.
 */
export const queueLimits = limits;
