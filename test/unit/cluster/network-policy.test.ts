import type { V1LabelSelector, V1NetworkPolicy, V1NetworkPolicyPeer } from '@kubernetes/client-node';
import fc from 'fast-check';
import { BlockList, isIPv6 } from 'node:net';
import { join } from 'node:path';
import { readManifests } from '../../../infra/local/kube/apply';
import { renderNetworkPolicies } from '../../../shared/cluster';
import { parseConfig, type PitcrewConfig } from '../../../shared/config';
import { metadataCidrs } from '../../../shared/config/file-schema';
import { renderAgentPod } from '../../../shared/templates';

/** A config with every network setting at its default, and templates of its own. */
function configWith(templates: string, network = ''): PitcrewConfig {
  return parseConfig(`
cluster:
  credentials: { kind: token, server: 'https://k8s.example.com', token: { value: t } }
  ${network}
sources:
  generic: { webhookSecret: { value: s } }
templates:
${templates}
`);
}

const policiesOf = (config: PitcrewConfig): V1NetworkPolicy[] =>
  renderNetworkPolicies({
    namespace: config.cluster.namespace,
    network: config.cluster.network,
    templates: config.templates,
  });

/** The labels of the pod Pitcrew makes for a template of `config`. */
function podLabels(config: PitcrewConfig, template: string): Record<string, string> {
  const pod = renderAgentPod({
    template: config.templates.find((candidate) => candidate.name === template)!,
    defaults: config.defaults,
    namespace: config.cluster.namespace,
    podName: `pc-${template}-abc`,
    requestId: 'generic-abc',
    agentEnv: {},
  });
  return pod.metadata?.labels ?? {};
}

/** Whether a label selector (matchLabels, In/NotIn expressions) selects these labels. */
function selects(selector: V1LabelSelector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpression = (selector.matchExpressions ?? []).every((expression) => {
    const listed = expression.values?.includes(labels[expression.key] ?? '\u0000') ?? false;
    if (expression.operator === 'In') return listed;
    if (expression.operator === 'NotIn') return !listed;
    throw new Error(`the test does not evaluate ${expression.operator}`);
  });
  return byLabel && byExpression;
}

/** Whether a policy lets a pod send to `address` on `port` (node:net's BlockList does the CIDR math). */
function allows(policy: Pick<V1NetworkPolicy, 'spec'>, address: string, port = 443): boolean {
  const peerAllows = (peer: V1NetworkPolicyPeer): boolean =>
    peer.ipBlock !== undefined &&
    within([peer.ipBlock.cidr], address) &&
    !within(peer.ipBlock.except ?? [], address);
  return (policy.spec?.egress ?? []).some(
    (rule) =>
      (rule.ports === undefined || rule.ports.some((allowed) => allowed.port === port)) &&
      rule.to !== undefined &&
      rule.to.some(peerAllows),
  );
}

/**
 * Whether `address` is in one of `cidrs` of its own family (BlockList alone would also match an IPv4
 * address against an IPv6 block, as an IPv4-mapped address; a NetworkPolicy does not).
 */
function within(cidrs: readonly string[], address: string): boolean {
  const blocks = new BlockList();
  for (const cidr of cidrs) {
    const [network = '', prefix = ''] = cidr.split('/');
    if (isIPv6(network) === isIPv6(address))
      blocks.addSubnet(network, Number(prefix), isIPv6(network) ? 'ipv6' : 'ipv4');
  }
  return blocks.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
}

const generic = (name: string, extra = '') =>
  `  - { name: ${name}, source: generic, labels: [${name}], image: busybox${extra} }`;

describe('renderNetworkPolicies', () => {
  it('renders infra/k8s/40-networkpolicy.yaml from the default config, so the two cannot drift', () => {
    const shipped = readManifests(join(process.cwd(), 'infra/k8s')).filter(
      (object) => object.kind === 'NetworkPolicy',
    );
    expect(policiesOf(configWith(generic('gen')))).toEqual(shipped);
  });

  it('selects every agent pod, lets nothing in, and keeps the metadata endpoints out of reach', () => {
    const config = configWith(generic('gen'));
    const [policy, ...others] = policiesOf(config);
    expect(others).toEqual([]);
    expect(policy!.metadata).toMatchObject({ name: 'pitcrew-agents', namespace: 'pitcrew-agents' });
    expect(selects(policy!.spec!.podSelector!, podLabels(config, 'gen'))).toBe(true);
    expect(policy!.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy!.spec!.ingress).toBeUndefined();
    for (const cidr of metadataCidrs) expect(allows(policy!, cidr.split('/')[0]!, 80)).toBe(false);
    expect(allows(policy!, '140.82.112.3')).toBe(true);
    expect(allows(policy!, '2606:50c0:8000::153')).toBe(true);
    expect(allows(policy!, '10.100.0.10', 53)).toBe(true);
  });

  it('keeps the API server out of reach too, each CIDR under the block of its family', () => {
    const config = configWith(
      generic('gen'),
      `network: { apiServerCidrs: [10.0.12.7/32, 10.0.44.9/32, 'fd12:3456::10/128'] }`,
    );
    const [policy] = policiesOf(config);
    expect(policy!.spec!.egress![0]!.to).toEqual([
      {
        ipBlock: {
          cidr: '0.0.0.0/0',
          except: [
            '169.254.169.254/32',
            '169.254.170.2/32',
            '169.254.170.23/32',
            '10.0.12.7/32',
            '10.0.44.9/32',
          ],
        },
      },
      { ipBlock: { cidr: '::/0', except: ['fd00:ec2::254/128', 'fd00:ec2::23/128', 'fd12:3456::10/128'] } },
    ]);
    expect(allows(policy!, '10.0.12.7')).toBe(false);
    expect(allows(policy!, '10.0.12.8')).toBe(true);
  });

  it('gives a template with egressCidrs a policy of its own, which the default policy then leaves alone', () => {
    const config = configWith(
      [generic('open'), generic('locked', `, egressCidrs: [140.82.112.0/20, '2606:50c0::/32']`)].join('\n'),
    );
    const [broad, locked, ...others] = policiesOf(config);
    expect(others).toEqual([]);
    expect(locked!.metadata!.name).toBe('pitcrew-template-locked');
    // NetworkPolicies add up: exactly one policy selects each template's pods.
    const selecting = (template: string) =>
      policiesOf(config)
        .filter((policy) => selects(policy.spec!.podSelector!, podLabels(config, template)))
        .map((policy) => policy.metadata!.name);
    expect(selecting('open')).toEqual(['pitcrew-agents']);
    expect(selecting('locked')).toEqual(['pitcrew-template-locked']);
    // And any other pod of the namespace, whatever labels it was given by other means.
    const madeElsewhere = (labels: Record<string, string>) =>
      policiesOf(config)
        .filter((policy) => selects(policy.spec!.podSelector!, labels))
        .map((policy) => policy.metadata!.name);
    expect(madeElsewhere({})).toEqual(['pitcrew-agents']);
    expect(madeElsewhere({ 'pitcrew.dev/template': 'locked' })).toEqual(['pitcrew-template-locked']);
    expect(madeElsewhere({ 'pitcrew.dev/template': 'open' })).toEqual(['pitcrew-agents']);
    expect(broad!.spec!.podSelector!.matchExpressions).toEqual([
      { key: 'pitcrew.dev/template', operator: 'NotIn', values: ['locked'] },
    ]);
    expect(locked!.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(locked!.spec!.ingress).toBeUndefined();
    expect(allows(locked!, '140.82.113.4')).toBe(true);
    expect(allows(locked!, '2606:50c0:8000::153')).toBe(true);
    expect(allows(locked!, '93.184.215.14')).toBe(false);
    // Port 53 goes to the cluster's DNS pods only, not to any address (below).
    expect(allows(locked!, '93.184.215.14', 53)).toBe(false);
    expect(allows(locked!, '169.254.169.254', 53)).toBe(false);
  });

  it("lets a strict template's agents send DNS to the cluster's DNS pods only, or to the servers listed", () => {
    const dnsRule = (network = '') =>
      policiesOf(configWith(generic('locked', `, egressCidrs: [140.82.112.0/20]`), network))[1]!.spec!
        .egress![1];
    const ports = [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ];
    // The default: CoreDNS (kube-dns) in kube-system, by the labels EKS, GKE, AKS and kubeadm give it.
    expect(dnsRule()).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports,
    });
    // NodeLocal DNSCache and a resolver of the VPC, by address; the denied ones cut out as everywhere.
    const listed = dnsRule(
      `network: { dnsServers: [{ cidr: 169.254.20.10/32 }, { cidr: 10.0.0.0/8 }, { cidr: 169.254.169.254/32 }, { namespace: dns, podLabels: { app.kubernetes.io/name: unbound } }], apiServerCidrs: [10.0.0.1/32] }`,
    );
    expect(listed).toEqual({
      to: [
        { ipBlock: { cidr: '169.254.20.10/32' } },
        { ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.1/32'] } },
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'unbound' } },
        },
      ],
      ports,
    });
    const policy = { spec: { egress: [listed!] } };
    expect(allows(policy, '169.254.20.10', 53)).toBe(true);
    expect(allows(policy, '169.254.20.10', 443)).toBe(false);
    expect(allows(policy, '93.184.215.14', 53)).toBe(false);
    expect(allows(policy, '10.0.0.1', 53)).toBe(false);
    // No servers: no DNS at all, and never a rule with an empty `to`.
    expect(dnsRule('network: { dnsServers: [] }')).toBeUndefined();
    expect(dnsRule('network: { dnsServers: [{ cidr: 169.254.169.254/32 }] }')).toBeUndefined();
    // The default policy allows every port anywhere but the denied, so it has no DNS rule to widen.
    const [broad] = policiesOf(
      configWith(generic('gen'), 'network: { dnsServers: [{ cidr: 10.0.0.10/32 }] }'),
    );
    expect(broad!.spec!.egress).toHaveLength(1);
    expect(broad!.spec!.egress![0]!.ports).toBeUndefined();
  });

  it('takes the denied CIDRs out of a template list: an except inside a block, a block inside one dropped', () => {
    const config = configWith(
      generic('locked', `, egressCidrs: [10.0.0.0/8, 169.254.169.254/32, 10.20.0.0/16]`),
      `network: { apiServerCidrs: [10.20.0.0/16, 10.1.0.5/32] }`,
    );
    const [, locked] = policiesOf(config);
    expect(locked!.spec!.egress![0]).toEqual({
      to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.20.0.0/16', '10.1.0.5/32'] } }],
    });
  });

  it('never leaves a rule with an empty `to` (which would allow everything): a list all denied keeps DNS only', () => {
    const config = configWith(generic('locked', `, egressCidrs: [169.254.169.254/32]`));
    const [, locked] = policiesOf(config);
    expect(locked!.spec!.egress).toHaveLength(1);
    expect(locked!.spec!.egress![0]!.ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    const empty = configWith(generic('none', `, egressCidrs: []`));
    expect(policiesOf(empty)[1]!.spec!.egress).toHaveLength(1);
    const noDns = configWith(generic('none', `, egressCidrs: []`), 'network: { dnsServers: [] }');
    expect(policiesOf(noDns)[1]!.spec!.egress).toEqual([]);
    const nothing = configWith(generic('gen'), `network: { deniedEgressCidrs: [0.0.0.0/0, '::/0'] }`);
    expect(policiesOf(nothing)[0]!.spec!.egress).toEqual([]);
  });

  it('writes every CIDR in the canonical form the API server asks for', () => {
    const config = configWith(
      generic(
        'locked',
        `, egressCidrs: [10.1.2.3/16, 'FD00:0EC2:0000:0:0:0:0:0999/120', '2001:db8:0:0:1:0:0:0/128']`,
      ),
      `network: { deniedEgressCidrs: ['FD00:EC2::254/128'] }`,
    );
    const [broad, locked] = policiesOf(config);
    expect(locked!.spec!.egress![0]!.to!.map((peer) => peer.ipBlock!.cidr)).toEqual([
      '10.1.0.0/16',
      'fd00:ec2::900/120',
      '2001:db8:0:0:1::/128',
    ]);
    // The metadata endpoints stay denied however short the list is.
    expect(broad!.spec!.egress![0]!.to![1]).toEqual({
      ipBlock: { cidr: '::/0', except: ['fd00:ec2::254/128', 'fd00:ec2::23/128'] },
    });
  });

  it('for any lists of CIDRs, allows exactly the addresses allowed and not denied, in both kinds of policy', () => {
    // Small address spaces, so the lists overlap, nest and repeat.
    const v4 = fc
      .tuple(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 8, max: 32 }),
      )
      .map(([b, c, prefix]) => ({ address: `10.${b}.${c}.${(c * 7) % 256}`, prefix }));
    const v6 = fc
      .tuple(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 16, max: 128 }),
      )
      .map(([b, c, prefix]) => ({
        address: `fd00:${b}::${c.toString(16)}:${((c * 7) % 0xffff).toString(16)}`,
        prefix,
      }));
    const cidrs = fc.array(fc.oneof(v4, v6), { maxLength: 5 });
    fc.assert(
      fc.property(cidrs, cidrs, cidrs, (allowed, denied, probes) => {
        const text = (list: typeof allowed) => list.map(({ address, prefix }) => `'${address}/${prefix}'`);
        const config = configWith(
          generic('locked', `, egressCidrs: [${text(allowed).join(', ')}]`),
          `network: { deniedEgressCidrs: [${text(denied).join(', ')}] }`,
        );
        const [broad, locked] = policiesOf(config);
        const cidrsOf = (list: typeof allowed) => list.map(({ address, prefix }) => `${address}/${prefix}`);
        for (const { address } of [...allowed, ...denied, ...probes]) {
          const denies = within(cidrsOf(denied), address);
          const expected = { address, broad: !denies, locked: within(cidrsOf(allowed), address) && !denies };
          expect({ address, broad: allows(broad!, address), locked: allows(locked!, address) }).toEqual(
            expected,
          );
        }
        for (const rule of [...broad!.spec!.egress!, ...locked!.spec!.egress!])
          expect(rule.to!.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
