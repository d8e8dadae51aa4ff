import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { KubeConfig } from '@kubernetes/client-node';
import type { Server } from 'node:http';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { compileConfig } from '../../../shared/config/compile';
import { ciSources } from '../../../shared/sources';
import { localCis } from '../stand-ins/local-cis';
import { localConfig, newWebhookSecrets, type LocalConfig } from './local-config';
import type { LocalCi, RunningLocalCi } from '../stand-ins/local-ci';
import { queueLimits } from '../../../shared/queue';
import { createLocalAwsResources } from '../aws-resources';
import { applyObjects, readManifests } from '../kube/apply';
import { startLocalServers, type LocalServers } from '../servers';
import { startHttpGateway, type HttpHandler } from './http-gateway';
import { lambdaContext } from './lambda-context';
import { startSqsPoller, type SqsHandler } from './sqs-poller';
import { startLiveView } from './live-view';
import { tryWebhookLines } from './try-webhook';
import type { StatusReport } from '../../../shared/ops';
import { messageOf } from '../../../shared/message-of';

export interface DevOptions {
  /** Use this cluster instead of starting one. */
  readonly kubeconfig?: string;
  readonly sqsEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
  readonly port?: number;
  readonly reapIntervalMs?: number;
  /** Where dev.json and server logs go. */
  readonly stateDir?: string;
  /** The agents' namespace (tests give each run its own). */
  readonly namespace?: string;
  /** Names the queue, DLQ and table (`pitcrew-<prefix>-...`), so runs on shared servers stay apart. */
  readonly resourcePrefix?: string;
  /** Print a line whenever pods, waiting requests or the queues change (default: on). */
  readonly liveView?: boolean;
  /** Where the banner and live view go (default: stdout). */
  readonly print?: (line: string) => void;
  /**
   * How many SQS pollers feed the provision function at once, as the Lambda event source runs
   * several batches concurrently (default 2).
   */
  readonly provisioners?: number;
  /** Changes the generated local config before it is written (the benchmarks set caps and timings). */
  readonly configure?: (config: LocalConfig) => unknown;
  /**
   * Writes the config as `npm run package` bundles it (compiled JSON, shared/config/compile.ts)
   * rather than YAML, so the functions start as deployed ones do (the benchmarks). Default false.
   */
  readonly packagedConfig?: boolean;
  /** Told of every function invocation and how long it took (the benchmarks' cost model). */
  readonly onInvocation?: (fn: 'webhook' | 'provision' | 'reap' | 'ops', durationMs: number) => void;
}

type Handler = (event: never, context: never) => Promise<unknown>;

/** The running system, for the CLI, tests and benchmarks. */
export interface DevSystem {
  readonly info: DevInfo;
  /** The four handlers as loaded (one cold start each), wrapped to report their durations. */
  readonly handlers: {
    readonly webhook: HttpHandler;
    readonly provision: SqsHandler;
    readonly reap: (event: unknown, context: unknown) => Promise<unknown>;
    readonly ops: (event: unknown, context: unknown) => Promise<unknown>;
  };
  /** Stops and restarts the SQS pollers (a benchmark queues a burst, then lets it through at once). */
  readonly provisioning: { pause(): Promise<void>; resume(): void };
  stop(): Promise<void>;
}

export interface DevInfo {
  /** The `pitcrew dev` process: the CLI checks it still runs before using this file. */
  readonly pid: number;
  readonly webhookUrls: Record<string, string>;
  readonly secrets: Record<string, string>;
  /** Local stand-ins for the CI APIs (the fakes the tests use), by CI. */
  readonly standIns: Readonly<Record<string, { readonly url: string; readonly description: string }>>;
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly sqs: { endpoint: string; queueUrl: string; dlqUrl: string };
  readonly dynamodb: { endpoint: string; tableName: string };
  readonly logs: string;
  readonly configFile: string;
  /** The environment the functions run with: `pitcrew <action>` runs the ops handler with it. */
  readonly functionEnv: Record<string, string>;
}

const defaultNamespace = 'pitcrew-agents';

/**
 * `pitcrew dev`: the whole system on this machine. Starts the real local servers (unless given),
 * creates the queue, DLQ and table, applies the RBAC manifests, and runs the four functions
 * in-process as Lambda would. Resolves a stop function; `.pitcrew/dev.json` describes the running
 * system for scripts and tests.
 */
export async function runDev(options: DevOptions = {}): Promise<DevSystem> {
  const say = options.print ?? ((line: string): void => void process.stdout.write(`${line}\n`));
  const agentsNamespace = options.namespace ?? defaultNamespace;
  const stateDir = resolve(options.stateDir ?? '.pitcrew');
  const workDir = join(stateDir, 'run');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

  say('pitcrew dev: starting the local servers (ElasticMQ, DynamoDB Local, Kubernetes) ...');
  const servers: LocalServers = await startLocalServers({
    workDir,
    sqs: !options.sqsEndpoint,
    dynamodb: !options.dynamoDbEndpoint,
    kubernetes: !options.kubeconfig,
  });
  const stops: (() => Promise<unknown>)[] = [() => servers.stop()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(join(stateDir, 'dev.json'), { force: true });
  };

  try {
    const sqsEndpoint = options.sqsEndpoint ?? servers.sqsEndpoint;
    const dynamoDbEndpoint = options.dynamoDbEndpoint ?? servers.dynamoDbEndpoint;
    const kubeconfig = options.kubeconfig ?? servers.cluster?.kubeconfigPath;
    if (!sqsEndpoint || !dynamoDbEndpoint || !kubeconfig)
      throw new Error('a local server did not report its endpoint');
    const resources = await createLocalAwsResources(
      { sqsEndpoint, dynamoDbEndpoint },
      options.resourcePrefix ?? 'dev',
    );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfig);
    await applyObjects(kubeConfig, readManifests(resolve('infra/k8s')));

    // No CI can be reached from here: each CI's kit starts the stand-in the tests use for its API.
    const cis: { kit: LocalCi; running: RunningLocalCi }[] = [];
    for (const kit of localCis) {
      const running = await kit.start();
      stops.push(() => running.close());
      cis.push({ kit, running });
    }
    const secrets = newWebhookSecrets(localCis);
    const configYaml = stringify(
      (options.configure ?? ((config: LocalConfig): unknown => config))(
        localConfig({ kubeconfig, namespace: agentsNamespace, cis }, secrets),
      ),
    );
    const configFile = join(stateDir, options.packagedConfig ? 'pitcrew.config.json' : 'pitcrew.local.yaml');
    writeFileSync(configFile, options.packagedConfig ? compileConfig(configYaml, configFile) : configYaml, {
      mode: 0o600,
    });

    const functionEnv: Record<string, string> = {
      PITCREW_STAGE: 'local',
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
      PITCREW_TABLE_NAME: resources.tableName,
      PITCREW_QUEUE_URL: resources.queueUrl,
      PITCREW_DLQ_URL: resources.dlqUrl,
      PITCREW_CONFIG_FILE: configFile,
      PITCREW_SQS_ENDPOINT: sqsEndpoint,
      PITCREW_DYNAMODB_ENDPOINT: dynamoDbEndpoint,
    };
    Object.assign(process.env, functionEnv, {
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // The reaper's CloudWatch metrics (EMF lines) would flood the terminal; the live view shows
      // the same facts. POWERTOOLS_METRICS_DISABLED=false prints them.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    });
    // Imported only now: each handler reads its settings at import, as at a Lambda cold start.
    const timed = <H extends Handler>(fn: 'webhook' | 'provision' | 'reap' | 'ops', handler: H): H => {
      const report = options.onInvocation;
      if (!report) return handler;
      return (async (event: never, context: never) => {
        const started = performance.now();
        try {
          return await handler(event, context);
        } finally {
          report(fn, performance.now() - started);
        }
      }) as H;
    };
    const webhook = timed(
      'webhook',
      (await import('../../../functions/webhook/handler')).handler as unknown as HttpHandler,
    );
    const provision = timed(
      'provision',
      (await import('../../../functions/provision/handler')).handler as unknown as SqsHandler,
    );
    const reap = timed(
      'reap',
      (await import('../../../functions/reap/handler')).handler as unknown as (
        event: unknown,
        context: unknown,
      ) => Promise<unknown>,
    );
    const ops = timed(
      'ops',
      (await import('../../../functions/ops/handler')).handler as unknown as (
        event: unknown,
        context: unknown,
      ) => Promise<StatusReport>,
    );

    const gateway = await startHttpGateway(webhook, options.port ?? 0);
    stops.push(() => closeServer(gateway.server));

    const sqs = new SQSClient({ endpoint: sqsEndpoint });
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    let pollers: { stop(): Promise<void> }[] = [];
    const provisioning = {
      resume(): void {
        if (pollers.length > 0) return;
        pollers = Array.from({ length: options.provisioners ?? 2 }, () =>
          startSqsPoller(provision, {
            sqs,
            queueUrl: resources.queueUrl,
            queueArn: Attributes?.QueueArn ?? '',
            batchSize: queueLimits.provisionBatchSize,
            onError: (error) => say(`provision poller: ${String(error)}`),
          }),
        );
      },
      async pause(): Promise<void> {
        await Promise.all(pollers.map((poller) => poller.stop()));
        pollers = [];
      },
    };
    provisioning.resume();
    stops.push(() => provisioning.pause());

    const reapTimer = setInterval(() => {
      reap({ source: 'pitcrew.dev', 'detail-type': 'Scheduled Event' }, lambdaContext('reap')).catch(
        (error: unknown) => say(`reap: ${messageOf(error)}`),
      );
    }, options.reapIntervalMs ?? 15_000);
    stops.push(async () => clearInterval(reapTimer));

    const info: DevInfo = {
      pid: process.pid,
      webhookUrls: Object.fromEntries(
        ciSources.map((source) => [source, `${gateway.url}/webhooks/${source}`]),
      ),
      secrets,
      standIns: Object.fromEntries(
        cis.flatMap(({ kit, running }) => (running.standIn ? [[kit.name, running.standIn]] : [])),
      ),
      kubeconfig,
      namespace: agentsNamespace,
      sqs: { endpoint: sqsEndpoint, queueUrl: resources.queueUrl, dlqUrl: resources.dlqUrl },
      dynamodb: { endpoint: dynamoDbEndpoint, tableName: resources.tableName },
      logs: workDir,
      configFile,
      functionEnv,
    };
    writeFileSync(join(stateDir, 'dev.json'), `${JSON.stringify(info, null, 2)}\n`);
    printBanner(info, join(stateDir, 'dev.json'), say);
    if (options.liveView ?? true) {
      const live = startLiveView(() => ops({ action: 'status' }, lambdaContext('ops')), say);
      stops.push(async () => live.stop());
    }
    return { info, handlers: { webhook, provision, reap, ops }, provisioning, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function printBanner(info: DevInfo, devJson: string, say: (line: string) => void): void {
  say('');
  say('Pitcrew is running locally.');
  // One column for the labels, however long a CI's name.
  const width = Math.max(...Object.keys(info.webhookUrls).map((source) => source.length));
  const label = (text: string): string => text.padEnd(width + 8);
  for (const [source, url] of Object.entries(info.webhookUrls))
    say(`  ${label(`webhook ${source}`)} POST ${url}   secret ${info.secrets[source] ?? '-'}`);
  for (const [source, standIn] of Object.entries(info.standIns))
    say(`  ${label(`${source} API`)} ${standIn.url}   (a local stand-in of ${standIn.description})`);
  say(`  ${label('')} (no CI can be reached from here: the stand-ins play their APIs, as in the tests)`);
  say(`  ${label('kubeconfig')} ${info.kubeconfig}   (agents in namespace ${info.namespace})`);
  say(`  ${label('SQS')} ${info.sqs.endpoint}   queue ${info.sqs.queueUrl}`);
  say(`  ${label('DynamoDB')} ${info.dynamodb.endpoint}   table ${info.dynamodb.tableName}`);
  say(`  ${label('server logs')} ${info.logs}`);
  say(`  machine-readable: ${devJson}`);
  say('');
  say('Try it:');
  say(
    `  npx pitcrew demo       a signed build from each CI (${Object.keys(info.webhookUrls).join(', ')}); watch their pods run and go`,
  );
  say('  npx pitcrew status     requests, caps, pods and queues (pitcrew --help lists every action)');
  say(`  kubectl --kubeconfig ${info.kubeconfig} -n ${info.namespace} get pods`);
  const genericUrl = info.webhookUrls.generic;
  const genericSecret = info.secrets.generic;
  if (genericUrl && genericSecret) {
    say('Or send a webhook yourself (a generic build that kwok runs for 30 s):');
    for (const line of tryWebhookLines(genericUrl, genericSecret)) say(`  ${line}`);
  }
  say('');
  say('Press Ctrl-C to stop everything.');
}

const closeServer = (server: Server): Promise<void> => new Promise((done) => server.close(() => done()));
