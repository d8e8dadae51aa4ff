/**
 * The `pitcrew` command: the local system (dev, demo, fetch, cluster-up/down) and the operator
 * actions of the ops function (status, list, describe, drain, resume, reconcile, cancel, retry,
 * redrive, caps), against the local system or a deployed stage. `pitcrew --help` lists them.
 * Exit codes: 0 done, 1 the action failed, 2 bad usage.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../../shared/config/errors';
import { HarnessError } from '../errors';
import { isOpsAction, operatorOf, parseOpsCommand } from './ops-args';
import { printable, printableJson } from './printable';
import { paint } from './table';
import { UsageError, usage } from './usage';

// Each command loads what it needs when it runs (the AWS SDK, the Kubernetes client, the servers):
// `pitcrew --help` or a usage error then answers at once.

const stateDir = resolve('.pitcrew');
const clusterFile = join(stateDir, 'cluster.json');
const out = (text: string): void => void process.stdout.write(`${text}\n`);

function untilSignal(): Promise<void> {
  return new Promise((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
}

/** Errors of the event (the ops function's OpsInputError) are bad usage; anything else failed. */
const usageErrorTypes = new Set(['OpsInputError']);

async function opsCommand(action: Parameters<typeof parseOpsCommand>[0], argv: string[]): Promise<number> {
  const command = parseOpsCommand(action, argv);
  const { invokeOps } = await import('./invoke-ops');
  const { render } = await import('./render');
  const answer = await invokeOps({ ...command.event, actor: operatorOf(process.env) }, command.target);
  if (answer.ok) {
    out(command.json ? printableJson(answer.result) : render(answer.result));
    return 0;
  }
  if (command.json) out(printableJson({ error: { type: answer.errorType, message: answer.message } }));
  process.stderr.write(`pitcrew ${action}: ${paint('red', printable(answer.message))}\n`);
  return usageErrorTypes.has(answer.errorType) ? 2 : 1;
}

async function devCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      kubeconfig: { type: 'string' },
      'sqs-endpoint': { type: 'string' },
      'dynamodb-endpoint': { type: 'string' },
      'no-live': { type: 'boolean' },
    },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new UsageError(`--port must be a port number, got '${values.port}'`);
  }
  const { runDev } = await import('../dev/run-dev');
  const dev = await runDev({
    port,
    kubeconfig: values.kubeconfig,
    sqsEndpoint: values['sqs-endpoint'],
    dynamoDbEndpoint: values['dynamodb-endpoint'],
    liveView: !values['no-live'],
  });
  await untilSignal();
  out('\nstopping ...');
  await dev.stop();
  out('stopped: every server and function of this run has ended.');
  return 0;
}

async function clusterUp(): Promise<number> {
  mkdirSync(stateDir, { recursive: true });
  const { startCluster } = await import('../kube/cluster');
  const cluster = await startCluster({ workDir: join(stateDir, 'cluster') });
  writeFileSync(
    clusterFile,
    JSON.stringify(
      { server: cluster.server, kubeconfig: cluster.kubeconfigPath, pids: cluster.pids },
      null,
      2,
    ),
  );
  out(
    `Kubernetes API server ${cluster.server}\nexport KUBECONFIG=${cluster.kubeconfigPath}\nCtrl-C (or npm run cluster:down) stops it.`,
  );
  await untilSignal();
  await cluster.stop();
  rmSync(clusterFile, { force: true });
  return 0;
}

function clusterDown(): number {
  if (!existsSync(clusterFile)) {
    out('no cluster is running (no .pitcrew/cluster.json)');
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
  out(`stopped ${pids.length} processes`);
  return 0;
}

async function k8sManifests(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } }, strict: true });
  if (!values.config) throw new UsageError('k8s-manifests needs --config FILE (your Pitcrew config)');
  const { loadConfigFile } = await import('../../../shared/config/file');
  const { clusterManifests, manifestsYaml } = await import('./k8s-manifests');
  process.stdout.write(manifestsYaml(clusterManifests(loadConfigFile(values.config))));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (isOpsAction(command)) return opsCommand(command, rest);
  switch (command) {
    case 'dev':
      return devCommand(rest);
    case 'demo':
      if (rest.length > 0) throw new UsageError(`demo takes no arguments, got '${rest.join(' ')}'`);
      return (await import('./demo')).runDemo(out);
    case 'fetch': {
      const started = Date.now();
      const { ensureClusterBinaries, ensureJavaServer } = await import('../toolchain');
      await Promise.all([ensureJavaServer('elasticmq'), ensureJavaServer('dynamodb-local')]);
      const binaries = await ensureClusterBinaries();
      out(`local servers ready in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
      for (const [name, path] of Object.entries(binaries)) out(`  ${name.padEnd(24)} ${path}`);
      return 0;
    }
    case 'cluster-up':
      return clusterUp();
    case 'cluster-down':
      return clusterDown();
    case 'k8s-manifests':
      return k8sManifests(rest);
    case undefined:
      process.stderr.write(`${usage}\n`);
      return 2;
    case 'help':
    case '--help':
    case '-h':
      out(usage);
      return 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

const isArgumentError = (error: unknown): error is Error =>
  error instanceof UsageError ||
  (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isArgumentError(error)) {
      process.stderr.write(
        `pitcrew: ${error.message}\nRun \`pitcrew --help\` for the commands and options.\n`,
      );
      process.exit(2);
    }
    process.stderr.write(
      `pitcrew: ${error instanceof HarnessError || error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
