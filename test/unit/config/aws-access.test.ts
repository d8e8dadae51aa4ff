import { accessPolicies, parseConfig, type PolicyDocument } from '../../../shared/config';

const config = (cluster: string, sources: string) =>
  parseConfig(`
cluster:
  credentials: ${cluster}
sources:
${sources}
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`);

const sub = (arn: string) => ({ 'Fn::Sub': arn });
const account = (service: string) => `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}`;
const allowed = (policy: PolicyDocument, action: string): unknown[] =>
  policy.Statement.filter((s) => s.Effect === 'Allow' && s.Action.includes(action)).flatMap(
    (s) => s.Resource,
  );

describe('accessPolicies (each role reads exactly the secrets the config names)', () => {
  const withSecrets = config(
    `{ kind: token, server: 'https://k8s.example.com', token: { secretsManager: 'pitcrew/{stage}/cluster', key: token }, caData: { ssm: '/pitcrew/{stage}/cluster-ca' } }`,
    `  generic: { webhookSecret: { ssm: '/pitcrew/{stage}/generic' }, agentToken: { ssm: 'pitcrew-agent-token' } }
  jenkins:
    webhookSecret: [{ ssm: '/pitcrew/{stage}/jenkins' }, { ssm: '/pitcrew/{stage}/jenkins-next' }]
    url: https://jenkins.example.com/
    user: pitcrew
    apiToken: { secretsManager: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jenkins-AbCdEf' }`,
  );
  const policies = accessPolicies(withSecrets);

  it('turns parameter names into ARNs, each once, with {stage} left for serverless to fill in', () => {
    expect(allowed(policies.provision, 'ssm:GetParameter')).toEqual([
      sub(`${account('ssm')}:parameter/pitcrew-agent-token`),
      sub(`${account('ssm')}:parameter/pitcrew/\${sls:stage}/cluster-ca`),
    ]);
  });

  it('lets no function that calls the CIs read a webhook secret: a leak of its role forges no delivery', () => {
    for (const fn of ['provision', 'reap', 'ops'] as const)
      expect(JSON.stringify(policies[fn])).not.toMatch(/\/(jenkins|jenkins-next|generic)"/);
  });

  it('lets only provision, which makes the agents, read the token it hands them', () => {
    const agentToken = sub(`${account('ssm')}:parameter/pitcrew-agent-token`);
    expect(allowed(policies.provision, 'ssm:GetParameter')).toContainEqual(agentToken);
    for (const fn of ['webhook', 'reap', 'ops'] as const)
      expect(allowed(policies[fn], 'ssm:GetParameter')).not.toContainEqual(agentToken);
    // The API token the reaper and ops call Jenkins with stays theirs.
    for (const fn of ['provision', 'reap', 'ops'] as const)
      expect(allowed(policies[fn], 'secretsmanager:GetSecretValue')).toContain(
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jenkins-AbCdEf',
      );
  });

  it('lets the webhook read the webhook secrets only (each of a list), not the CI API credentials', () => {
    expect(allowed(policies.webhook, 'ssm:GetParameter')).toEqual([
      sub(`${account('ssm')}:parameter/pitcrew/\${sls:stage}/jenkins`),
      sub(`${account('ssm')}:parameter/pitcrew/\${sls:stage}/jenkins-next`),
      sub(`${account('ssm')}:parameter/pitcrew/\${sls:stage}/generic`),
    ]);
    expect(allowed(policies.webhook, 'secretsmanager:GetSecretValue')).toEqual([]);
  });

  it('matches a secret by name and the six characters Secrets Manager appends, or by its ARN (also as a partial one)', () => {
    expect(allowed(policies.provision, 'secretsmanager:GetSecretValue')).toEqual([
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jenkins-AbCdEf',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jenkins-AbCdEf-??????',
      sub(`${account('secretsmanager')}:secret:pitcrew/\${sls:stage}/cluster-??????`),
    ]);
  });

  it('grants a partial ARN (no six characters) as written and with the six characters Secrets Manager appends', () => {
    // GetSecretValue takes a partial ARN, but IAM matches the secret's full ARN: granted exactly, every
    // read would be denied. A name may end in `-` and six characters of its own, as this one does.
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pitcrew/github-secret';
    const partial = accessPolicies(
      config('{ kind: eks, clusterName: ci }', `  generic: { webhookSecret: { secretsManager: '${arn}' } }`),
    );
    expect(allowed(partial.webhook, 'secretsmanager:GetSecretValue')).toEqual([arn, `${arn}-??????`]);
  });

  it('gives the cluster token and CA to the functions that reach Kubernetes, not to the webhook', () => {
    expect(JSON.stringify(policies.webhook)).not.toContain('cluster');
    for (const fn of ['provision', 'reap', 'ops'] as const) {
      expect(allowed(policies[fn], 'ssm:GetParameter')).toContainEqual(
        sub(`${account('ssm')}:parameter/pitcrew/\${sls:stage}/cluster-ca`),
      );
    }
  });

  it('lets EKS functions call DescribeCluster on their one cluster only when the endpoint is not configured', () => {
    const generic = `  generic: { webhookSecret: { value: s } }`;
    const described = accessPolicies(config('{ kind: eks, clusterName: ci, region: us-east-2 }', generic));
    expect(allowed(described.provision, 'eks:DescribeCluster')).toEqual([
      sub('arn:${AWS::Partition}:eks:us-east-2:${AWS::AccountId}:cluster/ci'),
    ]);
    expect(allowed(described.webhook, 'eks:DescribeCluster')).toEqual([]);
    const configured = accessPolicies(
      config(`{ kind: eks, clusterName: ci, server: 'https://x.eks.amazonaws.com', caData: Q0E= }`, generic),
    );
    expect(JSON.stringify(configured)).not.toContain('eks:DescribeCluster');
  });

  it.each([
    ["{ ssm: 'arn:aws:ssm:*:*:parameter/*' }", 'sources.generic.webhookSecret.ssm', 'parameter'],
    [
      "{ ssm: 'arn:aws:ssm:eu-west-1:123456789012:parameter/pitcrew/?' }",
      'sources.generic.webhookSecret.ssm',
      'parameter',
    ],
    [
      "{ secretsManager: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:*' }",
      'sources.generic.webhookSecret.secretsManager',
      'secret',
    ],
  ])(
    'refuses a secret ARN with a wildcard, which would grant every secret it matches: %s',
    (ref, field, what) => {
      let error: unknown;
      try {
        config('{ kind: kubeconfig, path: /k }', `  generic: { webhookSecret: ${ref} }`);
      } catch (caught) {
        error = caught;
      }
      expect(String(error)).toContain(field);
      expect(String(error)).toContain(
        `must name one ${what}: an ARN with * or ? would let the functions read every ${what} it matches`,
      );
    },
  );

  it('denies all reads to a function whose config names no AWS secret (a policy needs a statement)', () => {
    const local = accessPolicies(
      config('{ kind: kubeconfig, path: /k }', `  generic: { webhookSecret: { env: SECRET } }`),
    );
    for (const policy of Object.values(local)) {
      expect(policy.Statement).toEqual([
        expect.objectContaining({
          Effect: 'Deny',
          Action: ['ssm:GetParameter', 'secretsmanager:GetSecretValue'],
        }),
      ]);
    }
  });
});
