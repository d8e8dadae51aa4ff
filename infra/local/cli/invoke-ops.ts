import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { OpsResult } from '../../../shared/ops';
import type { DevInfo } from '../dev/run-dev';
import { queueLimits } from '../../../shared/queue/limits';
import { lambdaContext } from '../dev/lambda-context';
import type { OpsTarget } from './ops-args';
import { messageOf } from '../../../shared/message-of';

export type OpsAnswer =
  | { readonly ok: true; readonly result: OpsResult }
  /** `errorType` is the error's class: OpsInputError, OpsNotFoundError, OpsConflictError, ... */
  | { readonly ok: false; readonly errorType: string; readonly message: string };

/** Where `pitcrew dev` describes the running local system. */
export const devFilePath = (): string => resolve(process.env.PITCREW_DEV_FILE ?? '.pitcrew/dev.json');

/** The running local system, or a message saying how to start one. */
export function readDevInfo(): { ok: true; info: DevInfo } | { ok: false; message: string } {
  const file = devFilePath();
  if (!existsSync(file))
    return {
      ok: false,
      message: `no local system is running (no ${file}): start one with \`npx pitcrew dev\`, or pass --stage for a deployed one`,
    };
  const info = JSON.parse(readFileSync(file, 'utf8')) as DevInfo;
  if (!isAlive(info.pid))
    return {
      ok: false,
      message: `the local system in ${file} is not running any more (pid ${info.pid} is gone): start it again with \`npx pitcrew dev\``,
    };
  return { ok: true, info };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs one ops action: against the local system, the ops handler itself in this process with the
 * environment `pitcrew dev` gives its functions (as `serverless invoke local` would); against a
 * stage, a Lambda Invoke of its ops function with the caller's AWS credentials.
 */
export async function invokeOps(event: object, target: OpsTarget): Promise<OpsAnswer> {
  return target.stage === undefined ? invokeLocal(event) : invokeStage(event, target);
}

type OpsHandler = (event: unknown, context: unknown) => Promise<OpsResult>;
let localHandler: OpsHandler | undefined;

async function loadLocalHandler(): Promise<OpsHandler | { message: string }> {
  if (localHandler) return localHandler;
  const dev = readDevInfo();
  if (!dev.ok) return { message: dev.message };
  // The functions' JSON logs would mix with this command's output; PITCREW_LOG_LEVEL shows them.
  Object.assign(process.env, dev.info.functionEnv, {
    POWERTOOLS_LOG_LEVEL: process.env.PITCREW_LOG_LEVEL ?? 'SILENT',
  });
  localHandler = (await import('../../../functions/ops/handler')).handler as unknown as OpsHandler;
  return localHandler;
}

async function invokeLocal(event: object): Promise<OpsAnswer> {
  const handler = await loadLocalHandler();
  if (typeof handler !== 'function')
    return { ok: false, errorType: 'NoLocalSystem', message: handler.message };
  try {
    // The deployed function's timeout, so that a long action (redrive) runs as long here as there.
    return {
      ok: true,
      result: await handler(event, lambdaContext('ops', queueLimits.opsTimeoutSeconds * 1000)),
    };
  } catch (error) {
    return {
      ok: false,
      errorType: error instanceof Error ? error.name : 'Error',
      message: messageOf(error),
    };
  }
}

async function invokeStage(event: object, target: OpsTarget): Promise<OpsAnswer> {
  const functionName = target.functionName ?? `pitcrew-${target.stage}-ops`;
  const lambda = new LambdaClient(target.region ? { region: target.region } : {});
  try {
    const answer = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }),
    );
    const payload = JSON.parse(Buffer.from(answer.Payload ?? []).toString('utf8') || 'null') as unknown;
    if (answer.FunctionError) {
      const failure = (payload ?? {}) as { errorType?: string; errorMessage?: string };
      return {
        ok: false,
        errorType: failure.errorType ?? answer.FunctionError,
        message: failure.errorMessage ?? 'the ops function failed without a message',
      };
    }
    return { ok: true, result: payload as OpsResult };
  } catch (error) {
    return {
      ok: false,
      errorType: 'InvokeFailed',
      message: `could not invoke ${functionName}: ${messageOf(error)} (check --stage, --region and your AWS credentials; invoking needs lambda:InvokeFunction on it)`,
    };
  } finally {
    lambda.destroy();
  }
}
