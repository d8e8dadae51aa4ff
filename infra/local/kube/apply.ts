import {
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Reads every `*.yaml` in `dir`, in file-name order, as Kubernetes objects. */
export function readManifests(dir: string): KubernetesObject[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') || file.endsWith('.yml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => doc.toJS() as KubernetesObject),
    )
    .filter((object) => object !== null && object !== undefined && typeof object.kind === 'string');
}

/**
 * Server-side applies objects in order, like `kubectl apply --server-side`: idempotent, so
 * `pitcrew dev` and tests can run it on every start. `dryRun` validates without persisting.
 */
export async function applyObjects(
  kubeConfig: KubeConfig,
  objects: readonly KubernetesObject[],
  options: { dryRun?: boolean } = {},
): Promise<KubernetesObject[]> {
  const client = KubernetesObjectApi.makeApiClient(kubeConfig);
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    applied.push(
      await client.patch(
        object,
        undefined,
        options.dryRun ? 'All' : undefined,
        'pitcrew',
        true,
        PatchStrategy.ServerSideApply,
      ),
    );
  }
  return applied;
}
