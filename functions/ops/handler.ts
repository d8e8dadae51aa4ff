import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createAgentClient } from '../../shared/cluster/agents';
import { ConfigError } from '../../shared/config/errors';
// The logger alone: the shared index also holds tracing, whose lazy X-Ray chunk ops never needs.
import { createLogger } from '../../shared/lambda/logger';
import { refreshSecrets } from '../../shared/lambda/refresh-secrets';
import {
  auditRecord,
  callerOf,
  OpsError,
  runOpsAction,
  type OpsPorts,
  type OpsResult,
} from '../../shared/ops';
import { createReapPorts, createRuntime } from '../../shared/runtime';
import { ciSide } from '../../shared/runtime/ci-side';
import { createOperatorSettingsStore, createRequestQueries } from '../../shared/state';
import { createSqsProvisionQueue } from '../../shared/queue/provision-queue';

// Cold start: a bad setting or config key stops the function here with a ConfigError naming it.
const runtime = await createRuntime('ops', process.env, ciSide);
const logger = createLogger('ops');
if (!runtime.settings.dlqUrl)
  throw new ConfigError([{ setting: 'PITCREW_DLQ_URL', problem: 'is required but not set' }]);
const ports: OpsPorts = {
  ...createReapPorts(runtime, logger),
  // The whole agent client, settings store and queue: the reaper's ports hold only what it calls.
  agents: createAgentClient(runtime.cluster()),
  settings: createOperatorSettingsStore(runtime.db, runtime.settings.tableName),
  queue: createSqsProvisionQueue(runtime.sqs, runtime.settings.queueUrl),
  queries: createRequestQueries(runtime.db, runtime.settings.tableName),
  // Raw client for the dead-letter queue only (redrive, its depth); the provision queue is `queue`.
  sqs: runtime.sqs,
  dlqUrl: runtime.settings.dlqUrl,
  loadSources: () => runtime.loadSources(),
};

/**
 * Manual invoke only (`serverless invoke -f ops`, `pitcrew <action>`): the event is the action.
 * Failures propagate, so the invoke fails with the error's class as `errorType` and a message that
 * says what to do. Every invocation logs one audit line (who asked, what, and what came of it):
 * info when done, warn when refused (bad input, unconfirmed, not found, conflict), error when failed.
 */
async function handleOps(event: unknown, context: Context): Promise<OpsResult> {
  const caller = callerOf(event, context);
  // Before it acts, too: an action cut off by the function's timeout still leaves who asked for what.
  logger.info('ops invocation started', { audit: auditRecord(event, caller, { started: true }) });
  try {
    const result = await runOpsAction(event, {
      ...ports,
      remainingMs: () => context.getRemainingTimeInMillis(),
    });
    logger.info('ops invocation', { audit: auditRecord(event, caller, { result }) });
    return result;
  } catch (error) {
    const audit = auditRecord(event, caller, { error });
    if (error instanceof OpsError) logger.warn('ops invocation', { audit });
    else logger.error('ops invocation', { audit });
    throw error;
  }
}

// The secrets read again before each invocation, as provision and the reaper do: a CI's mended key
// or rotated token reaches `cancel` and `reconcile` without a new container.
export const handler = middy(handleOps).use(injectLambdaContext(logger)).use(refreshSecrets(runtime, logger));
