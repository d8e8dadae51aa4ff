import { CoreV1Api } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteNamespace,
  phaseIs,
  restrictedPod,
  waitForPod,
} from '../../support/kube';
import { steerPod } from '../../../infra/local/kube/steer';

describe('pods on the real API server, run by kwok nodes', () => {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  let namespace: string;

  beforeAll(async () => {
    namespace = await createTestNamespace(core, 'lifecycle');
  });
  afterAll(() => deleteNamespace(core, namespace));

  it('schedules a pod on a kwok node, runs it, and ends it Succeeded when told', async () => {
    await core.createNamespacedPod({ namespace, body: restrictedPod('build-ok') });
    const running = await waitForPod(core, namespace, 'build-ok', phaseIs('Running'));
    expect(running.spec?.nodeName).toMatch(/^kwok-node-\d+$/);
    expect(running.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeDefined();

    await steerPod(core, namespace, 'build-ok', { outcome: 'succeeded' });
    const done = await waitForPod(core, namespace, 'build-ok', phaseIs('Succeeded'));
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
  });

  it('drives a second pod to Failed with a non-zero exit code', async () => {
    await core.createNamespacedPod({
      namespace,
      body: restrictedPod('build-bad', { 'kwok.pitcrew.dev/outcome': 'failed' }),
    });
    const failed = await waitForPod(core, namespace, 'build-bad', phaseIs('Failed'));
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 1,
      reason: 'Error',
    });
  });

  it('keeps a pod Pending with its container waiting in image-pull back-off', async () => {
    await core.createNamespacedPod({
      namespace,
      body: restrictedPod('build-pull', { 'kwok.pitcrew.dev/waiting-reason': 'ImagePullBackOff' }),
    });
    const waiting = await waitForPod(
      core,
      namespace,
      'build-pull',
      (pod) => pod.status?.containerStatuses !== undefined,
    );
    expect(waiting.status?.phase).toBe('Pending');
    expect(waiting.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ImagePullBackOff');
  });

  it('holds a pod Pending, scheduled but never started, until released', async () => {
    await core.createNamespacedPod({
      namespace,
      body: restrictedPod('build-held', { 'kwok.pitcrew.dev/hold': 'true' }),
    });
    await waitForPod(core, namespace, 'build-held', (pod) => pod.spec?.nodeName !== undefined);
    await sleep(1000);
    expect((await core.readNamespacedPod({ name: 'build-held', namespace })).status?.phase).toBe('Pending');

    await steerPod(core, namespace, 'build-held', { hold: null });
    await waitForPod(core, namespace, 'build-held', phaseIs('Running'));
  });

  it('deletes a pod for real (kwok plays the kubelet that confirms it)', async () => {
    await core.createNamespacedPod({ namespace, body: restrictedPod('build-gone') });
    await waitForPod(core, namespace, 'build-gone', phaseIs('Running'));
    await core.deleteNamespacedPod({ name: 'build-gone', namespace });
    const deadline = Date.now() + 20_000;
    let names: (string | undefined)[] = ['build-gone'];
    while (Date.now() < deadline && names.includes('build-gone')) {
      names = (await core.listNamespacedPod({ namespace })).items.map((pod) => pod.metadata?.name);
      await sleep(100);
    }
    expect(names).not.toContain('build-gone');
  });

  it('garbage-collects a Secret owned by a pod when the pod is deleted (kube-controller-manager)', async () => {
    const pod = await core.createNamespacedPod({ namespace, body: restrictedPod('build-owner') });
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: 'build-owner-credentials',
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Pod',
              name: 'build-owner',
              uid: pod.metadata!.uid!,
              blockOwnerDeletion: true,
            },
          ],
        },
        stringData: { token: 'not-a-real-token' },
      },
    });
    await core.deleteNamespacedPod({ name: 'build-owner', namespace, gracePeriodSeconds: 0 });
    const deadline = Date.now() + 30_000;
    let secrets: (string | undefined)[] = ['build-owner-credentials'];
    while (Date.now() < deadline && secrets.includes('build-owner-credentials')) {
      await sleep(200);
      secrets = (await core.listNamespacedSecret({ namespace })).items.map((secret) => secret.metadata?.name);
    }
    expect(secrets).not.toContain('build-owner-credentials');
  });
});
