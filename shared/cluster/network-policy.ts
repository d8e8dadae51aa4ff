import type {
  V1LabelSelector,
  V1NetworkPolicy,
  V1NetworkPolicyEgressRule,
  V1NetworkPolicyPeer,
  V1NetworkPolicyPort,
} from '@kubernetes/client-node';
import { metadataCidrs, type AgentTemplate, type ClusterConfig, type DnsServer } from '../config/file-schema';
import { pitcrewLabels } from '../templates/labels';

/**
 * The NetworkPolicies of the agents' namespace, rendered from the config (docs/agent-boundary.md).
 * The operator applies them (`pitcrew k8s-manifests`, infra/k8s/40-networkpolicy.yaml); the
 * functions never touch them, and the provisioner's Role has no rights on them.
 *
 * - One default policy selects every pod of the namespace (but those of strict templates): no ingress
 *   at all, and egress anywhere except the metadata endpoints (always), the denied CIDRs and the API
 *   server's.
 * - A template with `egressCidrs` gets a policy of its own allowing only those (less the denied and
 *   the API server's). NetworkPolicies add up (a pod may send what any policy selecting it allows),
 *   so the default policy's podSelector leaves those templates' pods out.
 * - A template's policy also allows DNS (UDP and TCP 53), to `network.dnsServers` only (by default
 *   the cluster's DNS pods): to any address, port 53 would carry any protocol past the template's
 *   list. The default policy needs no rule of its own for DNS: it allows every port.
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export interface NetworkPolicyInput {
  /** The agents' namespace (`cluster.namespace`). */
  readonly namespace: string;
  readonly network: ClusterConfig['network'];
  readonly templates: readonly Pick<AgentTemplate, 'name' | 'egressCidrs'>[];
}

export const defaultNetworkPolicyName = 'pitcrew-agents';
export const templateNetworkPolicyName = (template: string): string => `pitcrew-template-${template}`;

const everywhere = ['0.0.0.0/0', '::/0'] as const;
const dnsPorts = (): V1NetworkPolicyPort[] => [
  { protocol: 'UDP', port: 53 },
  { protocol: 'TCP', port: 53 },
];

export function renderNetworkPolicies(input: NetworkPolicyInput): V1NetworkPolicy[] {
  // The metadata endpoints are denied whatever the list says: a shorter list must not open them.
  const denied = unique(
    [...metadataCidrs, ...input.network.deniedEgressCidrs, ...input.network.apiServerCidrs].map(parseCidr),
  );
  const strict = input.templates.filter((template) => template.egressCidrs !== undefined);
  const policy = (
    name: string,
    podSelector: V1LabelSelector,
    allowed: readonly string[],
    dns: readonly DnsServer[],
  ): V1NetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: input.namespace, labels: { 'app.kubernetes.io/part-of': 'pitcrew' } },
    spec: {
      podSelector,
      policyTypes: ['Ingress', 'Egress'],
      egress: egressRules(allowed.map(parseCidr), denied, dns),
    },
  });
  // The default policy selects every pod of the namespace, not only those Pitcrew labels: a pod made
  // there by other means must not reach the metadata endpoints either. A template's policy selects
  // by the template label alone, the default's exact complement: every pod is under one policy (a
  // pod with a strict template's label but not Pitcrew's was under none, free to go anywhere).
  const notStrict =
    strict.length > 0
      ? {
          matchExpressions: [
            {
              key: pitcrewLabels.template,
              operator: 'NotIn',
              values: strict.map((template) => template.name),
            },
          ],
        }
      : {};
  return [
    policy(defaultNetworkPolicyName, notStrict, everywhere, []),
    ...strict.map((template) =>
      policy(
        templateNetworkPolicyName(template.name),
        { matchLabels: { [pitcrewLabels.template]: template.name } },
        template.egressCidrs ?? [],
        input.network.dnsServers,
      ),
    ),
  ];
}

/**
 * The allowed CIDRs less the denied ones, then DNS to its servers. An ipBlock's `except` entries must
 * lie strictly inside its `cidr` (so in the same family): each denied CIDR goes to the blocks that
 * hold it, and a block a denied CIDR covers whole is dropped. A rule is never left with an empty
 * `to`, which would allow every destination.
 */
function egressRules(
  allowed: readonly Cidr[],
  denied: readonly Cidr[],
  dns: readonly DnsServer[],
): V1NetworkPolicyEgressRule[] {
  const peersOf = (blocks: readonly Cidr[]): V1NetworkPolicyPeer[] =>
    unique(blocks)
      .filter((block) => !denied.some((deny) => covers(deny, block)))
      .map((block) => {
        const except = denied.filter((deny) => covers(block, deny)).map(formatCidr);
        return { ipBlock: { cidr: formatCidr(block), ...(except.length > 0 ? { except } : {}) } };
      });
  const rules: V1NetworkPolicyEgressRule[] = [];
  const allowedPeers = peersOf(allowed);
  if (allowedPeers.length > 0) rules.push({ to: allowedPeers });
  const dnsPeers = [
    ...peersOf(dns.flatMap((server) => (server.cidr === undefined ? [] : [parseCidr(server.cidr)]))),
    ...dns.flatMap((server) => (server.namespace === undefined ? [] : [podsPeer(server.namespace, server)])),
  ];
  if (dnsPeers.length > 0) rules.push({ to: dnsPeers, ports: dnsPorts() });
  return rules;
}

/** The pods of a namespace with these labels (the namespace by the label Kubernetes gives each one). */
const podsPeer = (namespace: string, server: DnsServer): V1NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
  podSelector: { matchLabels: { ...server.podLabels } },
});

/** An IPv4 or IPv6 network: its address as a number, host bits cleared, and its prefix length. */
interface Cidr {
  readonly family: 4 | 6;
  readonly address: bigint;
  readonly prefix: number;
}

const widthOf = (family: 4 | 6): number => (family === 4 ? 32 : 128);

/**
 * A CIDR the config schema accepted. Host bits are cleared, as Kubernetes reads it (10.0.0.1/16 is
 * 10.0.0.0/16), and formatCidr writes it back in the canonical form the API server asks for (it
 * warns on 10.0.0.1/16, and on upper-case or zero-padded IPv6).
 */
function parseCidr(text: string): Cidr {
  const [host = '', prefixText = ''] = text.split('/');
  const family = host.includes(':') ? 6 : 4;
  const prefix = Number(prefixText);
  const width = BigInt(widthOf(family));
  const address = family === 4 ? parseIpv4(host) : parseIpv6(host);
  const networkMask = ((1n << width) - 1n) ^ ((1n << (width - BigInt(prefix))) - 1n);
  return { family, address: address & networkMask, prefix };
}

function parseIpv4(text: string): bigint {
  return text.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function parseIpv6(text: string): bigint {
  const groupsOf = (part: string): bigint[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [BigInt(parseInt(group, 16))];
          // A trailing dotted quad (::ffff:10.0.0.1) is the last two groups.
          const quad = parseIpv4(group);
          return [quad >> 16n, quad & 0xffffn];
        });
  const [head = '', tail] = text.split('::');
  const before = groupsOf(head);
  const after = tail === undefined ? [] : groupsOf(tail);
  const zeros = Array<bigint>(8 - before.length - after.length).fill(0n);
  return [...before, ...zeros, ...after].reduce((value, group) => (value << 16n) | group, 0n);
}

/** Canonical text: a dotted quad, or RFC 5952 IPv6 (lower case, the first longest zero run as ::). */
function formatCidr(cidr: Cidr): string {
  if (cidr.family === 4) {
    const octets = [24n, 16n, 8n, 0n].map((shift) => String((cidr.address >> shift) & 0xffn));
    return `${octets.join('.')}/${cidr.prefix}`;
  }
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) =>
    Number((cidr.address >> shift) & 0xffffn),
  );
  let zeros = { start: 0, length: 0 };
  for (let start = 0; start < groups.length; start++) {
    let length = 0;
    while (groups[start + length] === 0) length++;
    if (length > zeros.length) zeros = { start, length };
  }
  const hex = (part: number[]): string => part.map((group) => group.toString(16)).join(':');
  const text =
    zeros.length < 2
      ? hex(groups)
      : `${hex(groups.slice(0, zeros.start))}::${hex(groups.slice(zeros.start + zeros.length))}`;
  return `${text}/${cidr.prefix}`;
}

/** Whether `outer` holds all of `inner`: the same family, and inner's network inside outer's. */
function covers(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  const shift = BigInt(widthOf(outer.family) - outer.prefix);
  return inner.address >> shift === outer.address >> shift;
}

function unique(cidrs: readonly Cidr[]): Cidr[] {
  const seen = new Set<string>();
  return cidrs.filter((cidr) => {
    const key = formatCidr(cidr);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
