/**
 * `pitcrew` commands for the local system:
 *   pitcrew dev [--port N] [--kubeconfig F] [--sqs-endpoint URL] [--dynamodb-endpoint URL]
 *   pitcrew fetch          build/resolve every local server once (Go binaries, Maven jars)
 *   pitcrew cluster-up     run only the Kubernetes control plane, in the foreground
 *   pitcrew cluster-down   stop a control plane that cluster-up started elsewhere
 * Exit codes: 0 ok, 1 failed, 2 bad usage.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HarnessError } from './errors';
import { startCluster } from './kube/cluster';
import { ensureClusterBinaries, ensureJavaServer } from './toolchain';
import { runDev } from './dev/run-dev';

const usage = `usage: pitcrew <command> [options]
commands:
  dev            start the whole system locally (real Kubernetes, SQS and DynamoDB servers)
  fetch          build and resolve the local servers into ~/.cache/pitcrew (first run only)
  cluster-up     start only the Kubernetes control plane and wait (Ctrl-C stops it)
  cluster-down   stop the control plane that cluster-up started
options for dev:
  --port N                 port of the local webhook endpoint (default: a free port)
  --kubeconfig FILE        use this cluster instead of starting one
  --sqs-endpoint URL       use this SQS endpoint instead of starting ElasticMQ
  --dynamodb-endpoint URL  use this DynamoDB endpoint instead of starting DynamoDB Local`;

const stateDir = resolve('.pitcrew');
const clusterFile = join(stateDir, 'cluster.json');

class UsageError extends Error {}

function untilSignal(): Promise<void> {
  return new Promise((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev': {
      const { values } = parseArgs({
        args: rest,
        options: {
          port: { type: 'string' },
          kubeconfig: { type: 'string' },
          'sqs-endpoint': { type: 'string' },
          'dynamodb-endpoint': { type: 'string' },
        },
        strict: true,
      });
      const port = values.port === undefined ? undefined : Number(values.port);
      if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
        throw new UsageError(`--port must be a port number, got '${values.port}'`);
      }
      const dev = await runDev({
        port,
        kubeconfig: values.kubeconfig,
        sqsEndpoint: values['sqs-endpoint'],
        dynamoDbEndpoint: values['dynamodb-endpoint'],
      });
      await untilSignal();
      process.stdout.write('\nstopping ...\n');
      await dev.stop();
      return 0;
    }
    case 'fetch': {
      const started = Date.now();
      await Promise.all([ensureJavaServer('elasticmq'), ensureJavaServer('dynamodb-local')]);
      const binaries = await ensureClusterBinaries();
      process.stdout.write(`local servers ready in ${((Date.now() - started) / 1000).toFixed(1)} s:\n`);
      for (const [name, path] of Object.entries(binaries))
        process.stdout.write(`  ${name.padEnd(24)} ${path}\n`);
      return 0;
    }
    case 'cluster-up': {
      mkdirSync(stateDir, { recursive: true });
      const cluster = await startCluster({ workDir: join(stateDir, 'cluster') });
      writeFileSync(
        clusterFile,
        JSON.stringify(
          { server: cluster.server, kubeconfig: cluster.kubeconfigPath, pids: cluster.pids },
          null,
          2,
        ),
      );
      process.stdout.write(
        `Kubernetes API server ${cluster.server}\nexport KUBECONFIG=${cluster.kubeconfigPath}\nCtrl-C (or npm run cluster:down) stops it.\n`,
      );
      await untilSignal();
      await cluster.stop();
      rmSync(clusterFile, { force: true });
      return 0;
    }
    case 'cluster-down': {
      if (!existsSync(clusterFile)) {
        process.stdout.write('no cluster is running (no .pitcrew/cluster.json)\n');
        return 0;
      }
      const { pids } = JSON.parse(readFileSync(clusterFile, 'utf8')) as { pids: number[] };
      for (const pid of [...pids].reverse()) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      rmSync(clusterFile, { force: true });
      process.stdout.write(`stopped ${pids.length} processes\n`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${usage}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`pitcrew: ${error.message}\n${usage}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `pitcrew: ${error instanceof HarnessError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
