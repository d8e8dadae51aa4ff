import type { KubernetesObject } from '@kubernetes/client-node';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { renderNetworkPolicies } from '../../../shared/cluster/network-policy';
import type { PitcrewConfig } from '../../../shared/config/file-schema';
import { readManifests } from '../kube/apply';

/**
 * `pitcrew k8s-manifests --config FILE`: what Pitcrew needs on the cluster for one config, for
 * `kubectl apply -f -`. The namespaces, ServiceAccount and RBAC are infra/k8s/'s, with the config's
 * names put in (`cluster.namespace`, `cluster.provisionerServiceAccount`); the NetworkPolicies are
 * rendered from its network settings and templates (shared/cluster/network-policy.ts). The
 * long-lived token Secret (infra/k8s/token/) is added for a config that reaches the cluster with a
 * token, and for no other: EKS and a kubeconfig never use it.
 */
const manifestDir = fileURLToPath(new URL('../../k8s', import.meta.url));

/** The names infra/k8s/ uses, which the config's replace. */
const shipped = { agents: 'pitcrew-agents', system: 'pitcrew-system', account: 'pitcrew-provisioner' };
const tokenType = 'kubernetes.io/service-account-token';
const accountAnnotation = 'kubernetes.io/service-account.name';

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export function clusterManifests(config: PitcrewConfig, dir = manifestDir): KubernetesObject[] {
  const { namespace, provisionerServiceAccount: account, credentials } = config.cluster;
  const renamed: Record<string, string> = {
    [shipped.agents]: namespace,
    [shipped.system]: account.namespace,
  };
  const placed = (name: string | undefined): string | undefined => (name && renamed[name]) ?? name;
  const objects = withTokenIf(credentials.kind === 'token', dir)
    .filter((object) => object.kind !== 'NetworkPolicy')
    // One namespace for both (a config may say so): its two objects would undo each other's labels.
    .filter(
      (object) =>
        !(
          object.kind === 'Namespace' &&
          object.metadata?.name === shipped.system &&
          account.namespace === namespace
        ),
    )
    .map((object): KubernetesObject => {
      const copy = structuredClone(object) as KubernetesObject & { subjects?: Subject[] };
      const metadata = (copy.metadata ??= {});
      if (copy.kind === 'Namespace') metadata.name = placed(metadata.name);
      else metadata.namespace = placed(metadata.namespace);
      if (copy.kind === 'ServiceAccount' && metadata.name === shipped.account) metadata.name = account.name;
      if (isTokenSecret(copy) && metadata.annotations?.[accountAnnotation] === shipped.account) {
        metadata.name = `${account.name}-token`;
        metadata.annotations[accountAnnotation] = account.name;
      }
      for (const subject of copy.subjects ?? [])
        if (subject.kind === 'ServiceAccount' && subject.name === shipped.account)
          Object.assign(subject, { name: account.name, namespace: account.namespace });
      return copy;
    });
  return [
    ...objects,
    ...renderNetworkPolicies({ namespace, network: config.cluster.network, templates: config.templates }),
  ];
}

/** infra/k8s/'s objects, with the token Secret right after the ServiceAccount it belongs to if `token`. */
function withTokenIf(token: boolean, dir: string): KubernetesObject[] {
  const objects = readManifests(dir);
  if (!token) return objects;
  const afterAccount = objects.findLastIndex((object) => object.kind === 'ServiceAccount') + 1;
  return [
    ...objects.slice(0, afterAccount),
    ...readManifests(join(dir, 'token')),
    ...objects.slice(afterAccount),
  ];
}

function isTokenSecret(object: KubernetesObject): boolean {
  return object.kind === 'Secret' && (object as { type?: string }).type === tokenType;
}

/** The objects as one YAML stream, `---` between them. */
export function manifestsYaml(objects: readonly KubernetesObject[]): string {
  return objects.map((object) => stringify(object, { aliasDuplicateObjects: false })).join('---\n');
}
