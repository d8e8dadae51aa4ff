import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { V1Pod } from '@kubernetes/client-node';
import { deliveryFor, type Build } from '../../../infra/local/stand-ins/builds';
import { phaseIs, waitForPod } from '../../support/kube';
import { steerPod } from '../../../infra/local/kube/steer';
import { captureOutput } from '../../support/log-capture';
import { startProvisioningSystem, testSecrets, type ProvisioningSystem } from '../../support/provisioning';

/**
 * An end-to-end run with known secret values, at DEBUG log level, through the happy path and the
 * failure paths (CI down, CI refusing, the API server refusing a pod, bad signatures, a reaper run):
 * no secret may appear in any log line, error message, HTTP answer, table item, queue message or
 * pod spec. The Kubernetes Secret of each agent is the one place they belong.
 */
const genericAgentToken = 'generic-agent-token-0123456789abcdef';

describe('no secret leaks', () => {
  let system: ProvisioningSystem;
  const output = captureOutput();
  const answers: unknown[] = [];
  const podSpecs: V1Pod[] = [];
  /** Values that only exist at run time: JIT configs, Jenkins agent secrets. */
  const minted = new Set<string>();

  const remember = (): void => {
    for (const runner of system.github.state.runners) {
      minted.add(runner.encodedJitConfig);
      const credentials = (
        JSON.parse(Buffer.from(runner.encodedJitConfig, 'base64').toString()) as Record<string, string>
      )['.credentials'];
      if (credentials) minted.add(credentials);
    }
    for (const node of system.jenkins.state.nodes.values()) minted.add(node.secret);
  };
  const send = async (
    build: Build,
    action: 'queued' | 'started' | 'completed',
    labels?: string[],
  ): Promise<void> => {
    const delivery = deliveryFor(build, action, labels ? { labels } : {});
    answers.push(await system.sendWebhook(delivery.source, delivery.body, delivery.headers));
  };
  const provision = async (): Promise<void> => {
    await system.provisionAll();
    remember();
    podSpecs.push(...(await system.listPods()));
  };

  beforeAll(async () => {
    system = await startProvisioningSystem({
      logLevel: 'DEBUG',
      genericAgentToken,
      templates: [
        {
          name: 'gen-refused',
          source: 'generic',
          labels: ['refused'],
          image: 'busybox:1.36',
          podYaml: 'spec:\n  hostNetwork: true\n',
          // The loader lets a privileged template through; the restricted namespace refuses its pod.
          podSecurity: 'privileged',
        },
      ],
      reaper: { orphanGraceSeconds: 0, stuckGraceSeconds: 0, lostGraceSeconds: 0, staleQueuedSeconds: 900 },
    });

    // Happy path, every source.
    const happy: Build[] = [
      { source: 'generic', id: 1 },
      { source: 'jenkins', id: 2 },
      { source: 'github', id: 3 },
    ];
    for (const build of happy) await send(build, 'queued');
    await provision();
    for (const build of happy) await send(build, 'started');

    // The CI fails transiently, then refuses for good; the API server refuses a pod.
    system.jenkins.failNext(1, { status: 500, method: 'POST', path: /doCreateItem/ });
    system.github.failNext(1, { status: 503, method: 'POST', path: /generate-jitconfig/ });
    await send({ source: 'jenkins', id: 4 }, 'queued');
    await send({ source: 'github', id: 5 }, 'queued');
    await provision();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await provision();
    system.github.failNext(1, { status: 403, body: { message: 'Resource not accessible by integration' } });
    await send({ source: 'github', id: 6 }, 'queued');
    await send({ source: 'generic', id: 7 }, 'queued', ['refused']);
    await provision();

    // Bad signatures and bodies.
    answers.push(
      await system.sendWebhook(
        'generic',
        { action: 'queued', job: { id: 8, labels: ['linux'] } },
        { 'x-pitcrew-delivery': 'b1' },
        'sha256=' + '0'.repeat(64),
      ),
    );
    answers.push(await system.sendWebhook('jenkins', '{"action":', { 'x-pitcrew-delivery': 'b2' }));
    answers.push(
      await system.sendWebhook('github', { action: 'queued' }, { 'x-github-event': 'workflow_job' }, 'none'),
    );

    // The builds end; the reaper deletes their pods and deregisters the agents (the CI down once).
    for (const pod of await system.listPods()) {
      await steerPod(system.core, system.namespace, pod.metadata!.name!, { outcome: 'succeeded' });
      await waitForPod(system.core, system.namespace, pod.metadata!.name!, phaseIs('Succeeded'));
    }
    for (const build of happy) await send(build, 'completed');
    system.jenkins.failNext(1, { status: 502, method: 'POST', path: /doDelete/ });
    answers.push(await system.reapNow());
    answers.push(await system.reapNow());
  }, 120_000);
  afterAll(async () => {
    output.stop();
    await system.close();
  });

  const secrets = (): Map<string, string> => {
    const named = new Map<string, string>([
      ['github webhook secret', testSecrets.github],
      ['jenkins webhook secret', testSecrets.jenkins],
      ['generic webhook secret', testSecrets.generic],
      ['GitHub token', testSecrets.githubToken],
      ['Jenkins API token', testSecrets.jenkinsApiToken],
      ['Jenkins basic auth', Buffer.from(`pitcrew:${testSecrets.jenkinsApiToken}`).toString('base64')],
      ['generic agent token', genericAgentToken],
    ]);
    [...minted].forEach((value, index) => named.set(`minted credential ${index}`, value));
    return named;
  };
  const leaks = (where: string, text: string): string[] =>
    [...secrets()].filter(([, value]) => text.includes(value)).map(([name]) => `${name} in ${where}`);

  it('knows the secrets it looks for, and saw the run (so the search can fail)', () => {
    expect(minted.size).toBeGreaterThanOrEqual(3);
    expect(output.lines()).toBeGreaterThan(20);
    expect(output.text()).toContain('agent pod created');
    expect(output.text()).toContain('provision failed for good');
  });

  it('in no log line or error message', () => {
    expect(leaks('the log', output.text())).toEqual([]);
  });

  it('in no HTTP answer or reaper report', () => {
    expect(leaks('answers', JSON.stringify(answers))).toEqual([]);
  });

  it('in no table item (records, reasons, markers, counters, leases)', async () => {
    const { Items = [] } = await system.db.send(new ScanCommand({ TableName: system.resources.tableName }));
    expect(Items.length).toBeGreaterThan(5);
    expect(leaks('the table', JSON.stringify(Items))).toEqual([]);
    expect(Items.some((item) => String(item.reason ?? '').includes('refused'))).toBe(true);
  });

  it('in no queue message (provision queue and dead-letter queue)', async () => {
    const bodies: string[] = [];
    for (const queueUrl of [system.resources.queueUrl, system.resources.dlqUrl]) {
      const { Messages = [] } = await system.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
      bodies.push(...Messages.map((message) => message.Body ?? ''));
    }
    expect(leaks('queue messages', bodies.join('\n'))).toEqual([]);
  });

  it('in no pod spec: credentials reach the agent only through its Secret', async () => {
    expect(podSpecs.length).toBeGreaterThanOrEqual(5);
    expect(leaks('pod specs', JSON.stringify(podSpecs))).toEqual([]);
    for (const pod of podSpecs)
      expect(pod.spec?.containers[0]?.envFrom).toEqual([{ secretRef: { name: pod.metadata?.name } }]);
  });
});
