import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { SqsHandler } from '../../../infra/local/dev/sqs-poller';
import type { ReapReport } from '../../../shared/reap';
import { createCapacityStore } from '../../../shared/state';
import { importHandler } from '../../support/handlers';
import { adminKubeConfig } from '../../support/kube';
import { lambdaContext } from '../../support/lambda';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';
import { runStorm, type StormReport } from '../../support/storm';

/**
 * The storm at CI size (bench/storm.ts runs it with 2,000 builds): duplicates, out-of-order events,
 * cancellations, three provisioners and two reapers at once, kwok ending pods at random.
 */
const caps = { global: 12, templates: { 'gen-linux': 6, 'jk-linux': 6, 'gh-linux': 6 } };

describe('a storm of CI traffic', () => {
  let system: ProvisioningSystem;
  let report: StormReport;

  beforeAll(async () => {
    system = await startProvisioningSystem({
      globalCap: caps.global,
      templates: [
        { name: 'gh-linux', source: 'github', labels: ['self-hosted', 'linux', 'x64'], instanceCap: 6 },
        { name: 'jk-linux', source: 'jenkins', labels: ['linux'], instanceCap: 6 },
        { name: 'gen-linux', source: 'generic', labels: ['linux'], image: 'busybox:1.36', instanceCap: 6 },
      ],
      reaper: { orphanGraceSeconds: 10, stuckGraceSeconds: 60, lostGraceSeconds: 10, staleQueuedSeconds: 30 },
    });
    const provisioners = await Promise.all(
      [1, 2, 3].map(
        async () => (await importHandler('provision', system.env)).handler as unknown as SqsHandler,
      ),
    );
    const reapers = await Promise.all(
      [1, 2].map(async () => {
        const handler = (await importHandler('reap', system.env)).handler;
        return () => handler({}, lambdaContext('reap')) as Promise<ReapReport>;
      }),
    );
    const { Attributes } = await system.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: system.resources.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    report = await runStorm(
      {
        namespace: system.namespace,
        core: system.core,
        kubeConfig: adminKubeConfig(),
        requests: system.requests,
        capacity: createCapacityStore(system.db, system.resources.tableName),
        sqs: system.sqs,
        queueUrl: system.resources.queueUrl,
        queueArn: Attributes?.QueueArn ?? '',
        jenkinsUrl: system.jenkins.url,
        sendWebhook: (delivery) => system.sendWebhook(delivery.source, delivery.body, delivery.headers),
        provisioners,
        reapers,
        caps,
      },
      { builds: 90, seed: 7, maxRunMs: 800, reapEveryMs: 700, deadlineMs: 120_000 },
    );
  }, 180_000);
  afterAll(() => system.close());

  it('settles: every build ended, nothing active, no pod left, every counter back at 0', () => {
    expect(report).toMatchObject({
      settled: true,
      podsLeft: 0,
      activeRequestsLeft: 0,
      countersAtEnd: { global: 0 },
    });
    expect(Object.values(report.countersAtEnd.templates).filter((used) => used !== 0)).toEqual([]);
  });

  it('ran every build that should have run exactly once, and nothing else twice', () => {
    expect(report.neverRan).toEqual([]);
    expect(report.ranTwice).toEqual([]);
    expect(report.ranOnce).toBe(report.plans.run);
    expect(report.extraPods).toEqual([]);
    expect(report.failedRequests).toBe(0);
  });

  it('never went over a cap, sampled at every pod change and every 200 ms on the counters', () => {
    expect(report.capSamples).toBeGreaterThan(100);
    expect(report.slotSamples).toBeGreaterThan(10);
    expect({ overCap: report.overCap, slotsOverCap: report.slotsOverCap }).toEqual({
      overCap: 0,
      slotsOverCap: 0,
    });
    expect(report.maxLivePods).toBeLessThanOrEqual(caps.global);
  });

  it('actually stormed: duplicates, cancellations, out-of-order events, contention at the caps', () => {
    expect(report.duplicatesSent).toBeGreaterThan(0);
    expect(report.plans.cancel).toBeGreaterThan(0);
    expect(report.plans['out-of-order']).toBeGreaterThan(0);
    expect(report.maxSlots).toBe(caps.global);
    expect(report.reapSkipped).toBeGreaterThan(0);
  });
});
