import { setTimeout as sleep } from 'node:timers/promises';
import { managedSelector } from '../../../shared/templates';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

describe('caps under concurrency', () => {
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem({
      templates: [
        { name: 'gen-linux', source: 'generic', labels: ['linux'], image: 'busybox:1.36', instanceCap: 5 },
      ],
    });
  });
  afterAll(() => system.close());

  it('50 requests for a template with cap 5, provisioned by 4 concurrent workers: never more than 5 pods, the rest waiting', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        system.sendWebhook(
          'generic',
          { action: 'queued', job: { id: `cap-${index}`, labels: ['linux'] } },
          { 'x-pitcrew-delivery': `cap-${index}` },
        ),
      ),
    );
    expect(answers.every((answer) => answer.statusCode === 202)).toBe(true);

    // Sample the cluster throughout, not only at the end.
    let sampling = true;
    let maxLivePods = 0;
    const sampler = (async () => {
      while (sampling) {
        const pods = await system.core.listNamespacedPod({
          namespace: system.namespace,
          labelSelector: managedSelector,
        });
        maxLivePods = Math.max(maxLivePods, pods.items.length);
        await sleep(20);
      }
    })();
    await system.provisionAll(4);
    sampling = false;
    await sampler;

    const pods = await system.listPods();
    expect(pods).toHaveLength(5);
    expect(maxLivePods).toBe(5);
    const records = await Promise.all(
      answers.map((answer) => system.requests.get(String(answer.body.requestId))),
    );
    const byStatus = records.reduce<Record<string, number>>(
      (counts, record) => ({ ...counts, [record!.status]: (counts[record!.status] ?? 0) + 1 }),
      {},
    );
    expect(byStatus).toEqual({ provisioned: 5, waiting: 45 });
    expect(
      records
        .filter((record) => record?.status === 'waiting')
        .every((record) => record?.reason?.includes('cap')),
    ).toBe(true);
  });
});
