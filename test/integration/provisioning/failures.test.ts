import { readQueueDepth } from '../../../shared/queue/depth';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { podNameFor, requestIdFor } from '../../../shared/requests';
import { requiredTestEnv } from '../../support/env';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';
import { startTcpProxy } from '../../support/tcp-proxy';

const queued = (id: string, labels = ['linux']) => ({ action: 'queued', job: { id, labels } });

describe('provisioning failures', () => {
  describe('a transient API-server failure', () => {
    let system: ProvisioningSystem;
    let proxy: Awaited<ReturnType<typeof startTcpProxy>>;

    beforeAll(async () => {
      // Reach the API server through a proxy the test can cut.
      const kubeconfig = parse(readFileSync(requiredTestEnv('kubeconfig'), 'utf8')) as {
        clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
        users: { user: { token: string } }[];
      };
      const cluster = kubeconfig.clusters[0]!.cluster;
      const target = new URL(cluster.server);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      system = await startProvisioningSystem({
        clusterCredentials: {
          kind: 'token',
          server: `https://127.0.0.1:${proxy.port}`,
          token: { value: kubeconfig.users[0]!.user.token },
          caData: cluster['certificate-authority-data'],
        },
      });
    });
    afterAll(async () => {
      await system.close();
      await proxy.close();
    });

    it('is retried through SQS, gives the slot back meanwhile, and then succeeds with one pod', async () => {
      await system.sendWebhook('generic', queued('flaky'), { 'x-pitcrew-delivery': 'flaky' });
      proxy.setMode('refuse');
      expect(await system.pollOnce()).toEqual({ received: 1, failed: 1 });
      const retrying = await system.requests.get(requestIdFor('generic', 'flaky'));
      expect(retrying).toMatchObject({
        status: 'queued',
        holdsSlot: false,
        reason: expect.stringContaining('retrying'),
      });

      proxy.setMode('pass');
      await system.provisionAll();
      // The failed attempt was taken back: the agent is the build's first, under its first name.
      expect(await system.requests.get(requestIdFor('generic', 'flaky'))).toMatchObject({
        status: 'provisioned',
        holdsSlot: true,
        attempts: 1,
        podName: podNameFor('gen-linux', requestIdFor('generic', 'flaky')),
      });
      expect(await system.listPods()).toHaveLength(1);
    });

    it('on the last delivery before the DLQ, fails the request with the reason and gives the slot back', async () => {
      const { queueLimits } = await import('../../../shared/queue');
      await system.sendWebhook('generic', queued('doomed'), { 'x-pitcrew-delivery': 'doomed' });
      proxy.setMode('refuse');
      const polls = [];
      for (let attempt = 1; attempt <= queueLimits.queueMaxReceiveCount; attempt++) {
        let poll = await system.pollOnce(2);
        while (poll.received === 0) poll = await system.pollOnce(2);
        polls.push(poll);
      }
      proxy.setMode('pass');
      expect(polls.map((poll) => poll.failed)).toEqual(Array(queueLimits.queueMaxReceiveCount).fill(1));
      const record = await system.requests.get(requestIdFor('generic', 'doomed'));
      // Every delivery reserved and failed for now before its pod, and took its reserve back, the
      // last one too: a retry's agent has the first one's name and replaces it (bug 60).
      expect(record).toMatchObject({ status: 'failed', holdsSlot: false, attempts: 0 });
      expect(record?.reason).toMatch(
        /^gave up after the last delivery \(the message goes to the dead-letter queue\): creating pod .* failed/,
      );

      // SQS moves it to the DLQ on the next receive.
      expect(await system.pollOnce(2)).toEqual({ received: 0, failed: 0 });
      const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
      const dead = await system.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: system.resources.dlqUrl, WaitTimeSeconds: 2 }),
      );
      expect(dead.Messages?.map((message) => JSON.parse(message.Body ?? '{}').requestId)).toEqual([
        requestIdFor('generic', 'doomed'),
      ]);
      expect(await system.listPods()).toHaveLength(1); // only the 'flaky' build's pod
    });
  });

  describe('templates the API server refuses', () => {
    let system: ProvisioningSystem;
    beforeAll(async () => {
      system = await startProvisioningSystem({
        templates: [
          // The template says privileged (so the loader lets it through), but the namespace enforces
          // the restricted Pod Security Standard, which forbids host networking (403).
          {
            name: 'gen-hostnet',
            source: 'generic',
            labels: ['hostnet'],
            image: 'busybox:1.36',
            podYaml: 'spec:\n  hostNetwork: true\n',
            podSecurity: 'privileged',
          },
          // An invalid field value (422) the config checks leave to the API server.
          {
            name: 'gen-invalid',
            source: 'generic',
            labels: ['invalid'],
            image: 'busybox:1.36',
            podYaml: 'spec:\n  hostname: Not_A_Label\n',
          },
        ],
      });
    });
    afterAll(() => system.close());

    it.each([
      ['hostnet', /violates PodSecurity "restricted:latest": host namespaces/],
      ['invalid', /spec\.hostname/],
    ])(
      "%s: the request is failed with the API server's reason, the slot given back, and not retried",
      async (label, reason) => {
        const answer = await system.sendWebhook('generic', queued(`bad-${label}`, [label]), {
          'x-pitcrew-delivery': `bad-${label}`,
        });
        expect(answer.statusCode).toBe(202);
        expect(await system.pollOnce()).toEqual({ received: 1, failed: 0 });
        const record = await system.requests.get(String(answer.body.requestId));
        expect(record).toMatchObject({ status: 'failed', holdsSlot: false });
        expect(record?.reason).toMatch(reason);
        expect(await system.pollOnce()).toEqual({ received: 0, failed: 0 });
        expect(await system.listPods()).toHaveLength(0);
      },
    );
  });

  // GitHub's hourly rate limit spent: SQS would deliver the message again in 180 s, five times, and
  // the build would fail into the dead-letter queue long before the limit resets.
  describe('a CI that asks to wait longer than SQS would', () => {
    let system: ProvisioningSystem;
    beforeAll(async () => {
      system = await startProvisioningSystem();
    });
    afterAll(() => system.close());

    it('leaves the build queued, holding no slot, on a message of its own held back until then', async () => {
      system.github!.failNext(1, {
        status: 403,
        headers: {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        },
        body: { message: 'API rate limit exceeded' },
      });
      const answer = await system.sendWebhook(
        'github',
        {
          action: 'queued',
          workflow_job: { id: 8801, labels: ['self-hosted', 'linux'], created_at: new Date().toISOString() },
          repository: { name: 'app', owner: { login: 'acme' }, private: true },
        },
        { 'x-github-event': 'workflow_job', 'x-github-delivery': 'gh-8801' },
      );
      expect(answer.statusCode).toBe(202);
      // The delivery succeeds: its message is done, and another waits.
      expect(await system.pollOnce()).toEqual({ received: 1, failed: 0 });
      expect(await system.requests.get(String(answer.body.requestId))).toMatchObject({
        status: 'queued',
        holdsSlot: false,
        reason: expect.stringContaining('rate-limited'),
      });
      expect(await readQueueDepth(system.sqs, system.resources.queueUrl)).toEqual({
        visible: 0,
        inFlight: 0,
        delayed: 1,
      });
      expect(await system.listPods()).toHaveLength(0);
    });
  });
});
