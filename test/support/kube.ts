import type { CoreV1Api } from '@kubernetes/client-node';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requiredTestEnv } from './env';

/** The admin kubeconfig of the cluster the global setup started. */
export function adminKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(requiredTestEnv('kubeconfig'));
  return kubeConfig;
}

/** A kubeconfig for the same cluster that authenticates with `token` instead. */
export function tokenKubeConfig(token: string): KubeConfig {
  const admin = adminKubeConfig();
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'token-user', token }],
    contexts: [{ name: 'token', cluster: cluster.name, user: 'token-user' }],
    currentContext: 'token',
  });
  return kubeConfig;
}

/** A fresh namespace for one test file; delete it in afterAll with `deleteNamespace`. */
export async function createTestNamespace(
  core: CoreV1Api,
  prefix = 't',
  labels: Record<string, string> = {},
): Promise<string> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name, labels } } });
  return name;
}

export async function deleteNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.deleteNamespace({ name }).catch(() => undefined);
}

/** Polls a pod until `done(pod)` holds; fails with the pod's last status after `timeoutMs`. */
export async function waitForPod(
  core: CoreV1Api,
  namespace: string,
  name: string,
  done: (pod: V1Pod) => boolean,
  timeoutMs = 20_000,
): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  let last: V1Pod | undefined;
  while (Date.now() < deadline) {
    last = await core.readNamespacedPod({ name, namespace });
    if (done(last)) return last;
    await sleep(100);
  }
  throw new Error(
    `pod ${namespace}/${name} did not reach the expected state; last status: ${JSON.stringify(last?.status)}`,
  );
}

export const phaseIs =
  (phase: string) =>
  (pod: V1Pod): boolean =>
    pod.status?.phase === phase;

/** A pod that passes the "restricted" Pod Security Standard, as every Pitcrew agent pod must. */
export function restrictedPod(name: string, annotations: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, annotations },
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'agent',
          image: 'jenkins/inbound-agent:latest',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}
