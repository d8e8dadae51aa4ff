// Plain ESM on purpose: jest loads globalSetup outside its ESM transform, so the TypeScript harness
// is imported through tsx's loader instead.
import { tsImport } from 'tsx/esm/api';

/**
 * Starts the real servers (ElasticMQ, DynamoDB Local, the Kubernetes control plane) once per jest
 * run unless their endpoints are already given (see env.ts), and hands the endpoints to the test
 * workers through environment variables. The AWS SDK gets dummy credentials: the local servers
 * accept any signature.
 */
export default async function globalSetup() {
  const { startLocalServers } = await tsImport('../../infra/local/servers.ts', import.meta.url);
  const { testEnv } = await tsImport('./env.ts', import.meta.url);
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const need = {
    sqs: !process.env[testEnv.sqsEndpoint],
    dynamodb: !process.env[testEnv.dynamoDbEndpoint],
    kubernetes: !process.env[testEnv.kubeconfig],
  };
  if (!need.sqs && !need.dynamodb && !need.kubernetes) return;
  const started = Date.now();
  const servers = await startLocalServers(need);
  globalThis.pitcrewServers = servers;
  if (servers.sqsEndpoint) process.env[testEnv.sqsEndpoint] = servers.sqsEndpoint;
  if (servers.dynamoDbEndpoint) process.env[testEnv.dynamoDbEndpoint] = servers.dynamoDbEndpoint;
  if (servers.cluster) process.env[testEnv.kubeconfig] = servers.cluster.kubeconfigPath;
  process.stderr.write(
    `\n[pitcrew test] local servers up in ${Date.now() - started} ms (${servers.workDir})\n`,
  );
}
