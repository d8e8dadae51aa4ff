import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal } from './dynamodb-local';
import { startElasticMq } from './elasticmq';
import { startCluster, type LocalCluster } from './kube/cluster';

export interface LocalServersOptions {
  readonly sqs?: boolean;
  readonly dynamodb?: boolean;
  readonly kubernetes?: boolean;
  /** Logs and data; a fresh temp folder (removed on stop) by default. */
  readonly workDir?: string;
}

export interface LocalServers {
  readonly workDir: string;
  readonly sqsEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
  readonly cluster?: LocalCluster;
  stop(): Promise<void>;
}

/**
 * One call that starts the real servers a test run or `pitcrew dev` needs, in parallel, and returns
 * their endpoints. If any fails to start, those already started are stopped before the error is thrown.
 */
export async function startLocalServers(options: LocalServersOptions = {}): Promise<LocalServers> {
  const ownsWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'pitcrew-local-'));
  mkdirSync(workDir, { recursive: true });
  const want = { sqs: true, dynamodb: true, kubernetes: true, ...options };
  const starts = await Promise.allSettled([
    want.sqs ? startElasticMq(workDir) : undefined,
    want.dynamodb ? startDynamoDbLocal(workDir) : undefined,
    want.kubernetes ? startCluster({ workDir: join(workDir, 'cluster') }) : undefined,
  ]);
  const [sqs, dynamodb, cluster] = starts.map((s) => (s.status === 'fulfilled' ? s.value : undefined)) as [
    Awaited<ReturnType<typeof startElasticMq>> | undefined,
    Awaited<ReturnType<typeof startDynamoDbLocal>> | undefined,
    LocalCluster | undefined,
  ];
  const stopProcesses = async (): Promise<void> => {
    await Promise.all([sqs?.process.stop(), dynamodb?.process.stop(), cluster?.stop()]);
  };
  const stop = async (): Promise<void> => {
    await stopProcesses();
    if (ownsWorkDir) rmSync(workDir, { recursive: true, force: true });
  };
  const failure = starts.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    // Keep workDir: the error names a log file in it.
    await stopProcesses();
    throw failure.reason;
  }
  return { workDir, sqsEndpoint: sqs?.endpoint, dynamoDbEndpoint: dynamodb?.endpoint, cluster, stop };
}
