import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';

/**
 * Steers a pod through kwok's stages (infra/local/kube/kwok-stages.yaml) by setting annotations:
 * `{ outcome: 'succeeded' }`, `{ outcome: 'failed' }`, `{ 'waiting-reason': 'ErrImagePull' }`, `{ hold: 'true' }`.
 */
export async function steerPod(
  core: CoreV1Api,
  namespace: string,
  name: string,
  steer: Record<string, string | null>,
): Promise<void> {
  const annotations = Object.fromEntries(
    Object.entries(steer).map(([key, value]) => [`kwok.pitcrew.dev/${key}`, value]),
  );
  await core.patchNamespacedPod(
    { name, namespace, body: { metadata: { annotations } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
