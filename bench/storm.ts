/**
 * The full-size storm (docs/reliability.md): 2,000 builds through the real webhook, provision and
 * reap handlers (three provisioners, two reapers, each its own cold start) against servers started
 * for this run, with the CI simulator of infra/local/stand-ins/storm.ts. Prints a table and writes
 * JSON to bench/results/storm-latest.json. `npm run bench:storm -- --builds 500 --seed 3` for another
 * size or seed.
 *
 * `--faults`: the same storm with the infrastructure failing under it for its whole length (fault
 * proxies in front of the API server, DynamoDB and SQS, a provision container dying at each crash
 * point, a reaper frozen past its lease, GitHub and Jenkins failing for a while;
 * infra/local/stand-ins/storm.ts startStormFaults), every decision drawn from the seed; JSON to
 * bench/results/storm-faults-latest.json.
 *
 * Not a test: it asserts nothing and exits 1 only if the run broke one of Pitcrew's promises.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { SqsHandler } from '../infra/local/dev/sqs-poller';
import { createLocalAwsResources } from '../infra/local/aws-resources';
import { startLocalServers } from '../infra/local/servers';
import type { ReapReport } from '../shared/reap';
import { signedHeadersFor } from '../shared/sources/signing';
import { createCapacityStore, createRequestStore, createStateClient } from '../shared/state';
import { localCis } from '../infra/local/stand-ins/local-cis';
import { httpEvent, lambdaContext } from '../infra/local/stand-ins/lambda';
import { brokenPromises, runStorm, startStormFaults, type StormReport } from '../infra/local/stand-ins/storm';
import { writeCharts } from './lib/charts';

const { values } = parseArgs({
  options: {
    builds: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    'global-cap': { type: 'string', default: '40' },
    'template-cap': { type: 'string', default: '20' },
    faults: { type: 'boolean', default: false },
  },
});
const size = Number(values.builds);
const globalCap = Number(values['global-cap']);
const templateCap = Number(values['template-cap']);
const seed = Number(values.seed);
const withFaults = values.faults;
const secretOf = (source: string): string => `${source}-storm-secret`;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  log('storm: starting the local servers');
  const servers = await startLocalServers({ workDir: mkdtempSync(join(tmpdir(), 'pitcrew-storm-')) });
  const kubeconfig = servers.cluster?.kubeconfigPath ?? '';
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const namespace = 'pitcrew-storm';
  await core.createNamespace({
    body: {
      metadata: {
        name: namespace,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    },
  });
  const endpoints = {
    sqsEndpoint: servers.sqsEndpoint ?? '',
    dynamoDbEndpoint: servers.dynamoDbEndpoint ?? '',
  };
  // With --faults, the functions reach every server through a fault proxy; the checks go straight.
  const faults = withFaults
    ? await startStormFaults({ ...endpoints, kubeconfigPath: kubeconfig }, seed)
    : undefined;
  if (faults) log(`storm: faults on, seed ${seed}`);
  // The visibility timeout of the tests (1 s), not AWS's 180 s: a retried message comes back at once.
  // With faults, longer than the dying container's timeout (stand-ins/storm.ts stormFaultRates), as on AWS.
  const resources = await createLocalAwsResources(endpoints, 'storm', {
    visibilityTimeoutSeconds: faults?.rates.sqs.visibilityTimeoutSeconds ?? 1,
  });
  // Every registered CI, each with its local stand-in (infra/local/stand-ins/local-cis.ts).
  const cis = await Promise.all(localCis.map(async (kit) => ({ kit, running: await kit.start() })));
  // Every build may wait at once behind the caps: the storm is load to serve, not a flood to refuse.
  const maxBacklog = Math.max(size, 500);
  const templateOf = (name: string): string => `${name}-linux`;
  const config = {
    cluster: {
      namespace,
      credentials: faults?.clusterCredentials ?? { kind: 'kubeconfig', path: kubeconfig },
    },
    capacity: { globalCap },
    sources: Object.fromEntries(
      cis.map(({ kit, running }) => [kit.name, running.configSection(secretOf(kit.name), { maxBacklog })]),
    ),
    templates: cis.map(({ kit }) => ({
      name: templateOf(kit.name),
      source: kit.name,
      labels: [...kit.labels],
      instanceCap: templateCap,
      ...kit.template,
    })),
    reaper: { orphanGraceSeconds: 10, stuckGraceSeconds: 60, lostGraceSeconds: 10, staleQueuedSeconds: 30 },
  };
  const configFile = join(mkdtempSync(join(tmpdir(), 'pitcrew-storm-config-')), 'pitcrew.yaml');
  writeFileSync(configFile, stringify(config));
  Object.assign(process.env, {
    PITCREW_STAGE: 'bench',
    PITCREW_TABLE_NAME: resources.tableName,
    PITCREW_QUEUE_URL: resources.queueUrl,
    PITCREW_DLQ_URL: resources.dlqUrl,
    PITCREW_CONFIG_FILE: configFile,
    PITCREW_SQS_ENDPOINT: faults?.sqsEndpoint ?? endpoints.sqsEndpoint,
    PITCREW_DYNAMODB_ENDPOINT: faults?.dynamoDbEndpoint ?? endpoints.dynamoDbEndpoint,
    // STORM_LOG_LEVEL=INFO (on stderr) to follow a request the checks name.
    POWERTOOLS_LOG_LEVEL: process.env.STORM_LOG_LEVEL ?? 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });

  // Each import with its own query string is a separate module instance: one cold start per "container".
  const load = async (fn: string, instance: number): Promise<unknown> =>
    ((await import(`../functions/${fn}/handler.ts?instance=${instance}`)) as { handler: unknown }).handler;
  const webhook = (await load('webhook', 1)) as (
    e: unknown,
    c: unknown,
  ) => Promise<APIGatewayProxyStructuredResultV2>;
  const provisioners = (await Promise.all([1, 2, 3].map((n) => load('provision', n)))) as SqsHandler[];
  const reapers = (await Promise.all([1, 2].map((n) => load('reap', n)))).map(
    (handler) => () =>
      (handler as (e: unknown, c: unknown) => Promise<ReapReport>)({}, lambdaContext('reap')),
  );

  const db = createStateClient({ region: 'us-east-1', endpoint: endpoints.dynamoDbEndpoint });
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: endpoints.sqsEndpoint });
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const report = await runStorm(
    {
      namespace,
      core,
      kubeConfig,
      requests: createRequestStore(db, resources.tableName),
      capacity: createCapacityStore(db, resources.tableName),
      db,
      tableName: resources.tableName,
      sqs,
      queueUrl: resources.queueUrl,
      queueArn: Attributes?.QueueArn ?? '',
      dlqUrl: resources.dlqUrl,
      cis,
      ...(faults ? { faults, functionEnv: { ...process.env } } : {}),
      async sendWebhook(delivery) {
        const body = JSON.stringify(delivery.body);
        const answer = await webhook(
          httpEvent({
            source: delivery.source,
            body,
            // Signed at each attempt, as a CI does: a retry carries a fresh timestamp.
            headers: {
              ...delivery.headers,
              ...signedHeadersFor(delivery.source, body, secretOf(delivery.source)),
            },
          }),
          lambdaContext('webhook'),
        );
        return { statusCode: answer.statusCode ?? 0 };
      },
      provisioners,
      reapers,
      caps: {
        global: globalCap,
        templates: Object.fromEntries(cis.map(({ kit }) => [templateOf(kit.name), templateCap])),
      },
    },
    {
      builds: size,
      seed,
      senders: 16,
      maxRunMs: 1500,
      reapEveryMs: 1000,
      deadlineMs: 30 * 60_000,
      log,
    },
  );

  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memoryGb: Math.round(totalmem() / 2 ** 30),
  };
  printTable(report, machine);
  const resultsDir = join(process.cwd(), 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  // One file per kind of run, overwritten by each run and kept in git: the figures docs/reliability.md quotes.
  const file = join(resultsDir, faults ? 'storm-faults-latest.json' : 'storm-latest.json');
  const broken = brokenPromises(report);
  const document = {
    measure: faults ? 'storm-faults' : 'storm',
    at: new Date().toISOString(),
    machine,
    options: { size, seed, globalCap, templateCap, faults: faults?.rates ?? false },
    broken,
    report,
  };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  log(`storm: results in ${file}`);
  // docs/images/storm.svg or storm-faults.svg: live pods, slots and caps over the run.
  await writeCharts(faults ? { stormFaults: document } : { storm: document }, { say: log }).catch(
    (error: unknown) => log(`charts: not drawn: ${String(error)}`),
  );
  for (const promise of broken) log(`storm: BROKEN: ${promise}`);

  db.destroy();
  sqs.destroy();
  await Promise.all([...cis.map(({ running }) => running.close()), faults?.close()]);
  await servers.stop();
  process.exit(broken.length > 0 ? 1 : 0);
}

function printTable(
  report: StormReport,
  machine: { cpus: number; cpuModel: string; memoryGb: number },
): void {
  const rows: [string, string | number][] = [
    ['machine', `${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGb} GB`],
    [
      'builds (run / cancelled / completed-before-queued)',
      `${report.builds} (${report.plans.run} / ${report.plans.cancel} / ${report.plans['out-of-order']})`,
    ],
    ['seed', report.seed],
    ['webhooks sent (duplicate copies)', `${report.webhooks} (${report.duplicatesSent})`],
    [
      'webhook 5xx answers / deliveries the CI gave up on',
      `${report.webhookErrors} / ${report.webhooksGivenUp}`,
    ],
    ['duration', `${(report.durationMs / 1000).toFixed(1)} s`],
    ['settled', report.settled ? 'yes' : 'NO'],
    ['should run: ran exactly once', `${report.ranOnce} / ${report.plans.run}`],
    ['never ran / ran twice', `${report.neverRan.length} / ${report.ranTwice.length}`],
    ['cancelled after their agent took them (allowed)', report.cancelledButRan],
    ['pods created / extra pods', `${report.podsCreated} / ${report.extraPods.length}`],
    ['agents deleted while their build ran', report.agentsLostMidBuild.length],
    ['pods left / active requests left', `${report.podsLeft} / ${report.activeRequestsLeft}`],
    [
      'failed because their agent failed first (allowed) / failed otherwise',
      `${report.failedWithFailedAgent} / ${report.failedRequests}`,
    ],
    [
      'at the end: slots held (global counter) / live agents',
      `${report.countersAtEnd.global} / ${report.liveAgentsAtEnd}`,
    ],
    ['agents left registered at the CIs', `${report.strayAgents.length}`],
    [
      'dead-letter queue: messages / request says why',
      `${report.deadLetters.length} / ${report.deadLetters.filter((letter) => letter.saysWhy).length}`,
    ],
    ['cap samples (pod changes) / over a cap', `${report.capSamples} / ${report.overCap}`],
    ['max live agents of wanted builds (global cap)', report.maxLivePods],
    [
      'max live pods incl. ended builds not yet reaped / samples over a cap',
      `${report.maxLivePodsWithEnded} / ${report.overCapWithEnded}`,
    ],
    [
      'slot samples / over a cap / max slots',
      `${report.slotSamples} / ${report.slotsOverCap} / ${report.maxSlots}`,
    ],
    [
      'provision batches / items failed (retried)',
      `${report.provisionBatches} / ${report.provisionFailures}`,
    ],
    ['reaper runs / skipped (lease held)', `${report.reapRuns} / ${report.reapSkipped}`],
    ['counters repaired by the reaper', report.counterRepairs],
    ...Object.entries(report.faults).map(([kind, count]): [string, string] => [
      `fault, injected / met: ${kind}`,
      `${count.injected} / ${count.met}${count.note ? ` (${count.note})` : ''}`,
    ]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`\n${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}\n\n`);
  // What was left, each with what explains it (or nothing: then it is a broken promise).
  for (const agent of report.strayAgents)
    process.stdout.write(
      `agent left at ${agent.source}: ${agent.name}, request ${agent.requestId ?? '?'}: ${agent.status ?? '?'} (${agent.reason ?? ''})\n`,
    );
  for (const letter of report.deadLetters)
    process.stdout.write(
      `dead letter ${letter.messageId}: request ${letter.status ?? '?'} (${letter.reason ?? ''})\n`,
    );
}

await main();
