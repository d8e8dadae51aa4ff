import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localJavaServerOptions } from './java-options';
import { freePort } from './ports';
import { startProcess, type ManagedProcess } from './process';
import { ensureJavaServer, requireTool } from './toolchain';

export interface RunningSqs {
  /** e.g. http://127.0.0.1:41234, for `new SQSClient({ endpoint })`. */
  readonly endpoint: string;
  readonly process: ManagedProcess;
}

/**
 * Starts ElasticMQ (a real SQS server; it speaks the JSON protocol that current
 * @aws-sdk/client-sqs uses) on a free loopback port. Queues live in memory: a test or `pitcrew dev`
 * creates what it needs.
 */
export async function startElasticMq(workDir: string): Promise<RunningSqs> {
  requireTool('java', 'install a Java 17+ runtime (apt-get install openjdk-17-jre-headless)');
  const jars = await ensureJavaServer('elasticmq');
  const port = await freePort();
  const configFile = join(workDir, 'elasticmq.conf');
  // https://github.com/softwaremill/elasticmq#configuration : node-address makes queue URLs point at
  // the port we chose; strict limits make ElasticMQ enforce SQS's real limits (batch size, body size).
  writeFileSync(
    configFile,
    [
      'include classpath("application.conf")',
      `node-address { protocol = http, host = 127.0.0.1, port = ${port}, context-path = "" }`,
      `rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", sqs-limits = strict }`,
      'rest-stats { enabled = false }',
      '',
    ].join('\n'),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const process = await startProcess({
    name: 'ElasticMQ',
    command: 'java',
    args: [
      '-Xmx256m',
      ...localJavaServerOptions,
      `-Dconfig.file=${configFile}`,
      '-cp',
      `${jars}/*`,
      'org.elasticmq.server.Main',
    ],
    logFile: join(workDir, 'elasticmq.log'),
    isReady: () => answersSqs(endpoint),
  });
  return { endpoint, process };
}

async function answersSqs(endpoint: string): Promise<boolean> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' },
    body: '{}',
  });
  return response.ok;
}
