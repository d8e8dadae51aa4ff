import { join } from 'node:path';
import { localJavaServerOptions } from './java-options';
import { freePort } from './ports';
import { startProcess, type ManagedProcess } from './process';
import { ensureJavaServer, requireTool } from './toolchain';

export interface RunningDynamoDb {
  /** e.g. http://127.0.0.1:41235, for `new DynamoDBClient({ endpoint })`. */
  readonly endpoint: string;
  readonly process: ManagedProcess;
}

/**
 * Starts DynamoDB Local (AWS's own DynamoDB emulator, from Maven Central) in memory on a free
 * loopback port. Chosen over dynalite because it implements transactions, TTL settings and the
 * same condition-expression errors as the service, which is what cap reservation relies on.
 */
export async function startDynamoDbLocal(workDir: string): Promise<RunningDynamoDb> {
  requireTool('java', 'install a Java 17+ runtime (apt-get install openjdk-17-jre-headless)');
  const jars = await ensureJavaServer('dynamodb-local');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const process = await startProcess({
    name: 'DynamoDB Local',
    command: 'java',
    args: [
      '-Xmx512m',
      ...localJavaServerOptions,
      `-Djava.library.path=${jars}`,
      '-cp',
      `${jars}/*`,
      'com.amazonaws.services.dynamodbv2.local.main.ServerRunner',
      '-inMemory',
      '-sharedDb',
      // A local emulator has nothing to report to AWS (and, offline, nowhere to send it).
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    logFile: join(workDir, 'dynamodb-local.log'),
    // It writes dynamodb-local-metadata.json where it runs: the run's folder, not the caller's.
    cwd: workDir,
    isReady: () => answersDynamoDb(endpoint),
  });
  return { endpoint, process };
}

async function answersDynamoDb(endpoint: string): Promise<boolean> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      // DynamoDB Local checks that a SigV4 header is present, not that it is valid.
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: '{}',
  });
  return response.ok;
}
