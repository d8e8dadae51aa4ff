import { parseConfig } from '../../../shared/config';
import { renderTemplatePod } from '../../../shared/templates';
import { configProblemsOf } from '../../support/config-problems';

const minimal = `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/kubeconfig }
sources:
  generic: { webhookSecret: { env: GENERIC_SECRET } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`;

const problemsOf = configProblemsOf;

describe('parseConfig', () => {
  it('fills every default', () => {
    const config = parseConfig(minimal);
    expect(config.cluster).toMatchObject({
      namespace: 'pitcrew-agents',
      connectTimeoutMs: 5000,
      requestTimeoutMs: 15000,
    });
    expect(config.capacity).toEqual({ globalCap: 20 });
    expect(config.templates[0]).toMatchObject({
      match: 'subset',
      priority: 0,
      instanceCap: 10,
      pendingTimeoutSeconds: 300,
      idleMinutes: 10,
      maxLifetimeSeconds: 14400,
      retention: { policy: 'never', minutes: 0 },
      retries: 1,
    });
  });

  it('merges defaults.resources over the built-in values field by field, so one key set keeps the limits', () => {
    // docs/configuration.md: a config that raises only the default CPU request keeps the built-in
    // memory and disk limits (it lost them, and the error then blamed every template's podYaml).
    const config = parseConfig(`${minimal}defaults:\n  resources: { requests: { cpu: '1' } }\n`);
    expect(config.defaults.resources).toEqual({
      requests: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '1Gi' },
      limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
    });
    expect(renderTemplatePod(config.templates[0]!, config).spec?.containers[0]?.resources?.limits).toEqual({
      memory: '2Gi',
      'ephemeral-storage': '10Gi',
    });
  });

  it('names the bad key of every problem at once', () => {
    const problems = problemsOf(`
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
sources:
  generic: { webhookSecret: { env: X } }
templates:
  - { name: Bad_Name, source: generic, labels: [linux], image: busybox }
  - { name: ok, source: github, labels: [], image: busybox, instanceCap: -1 }
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pitcrew.yaml: templates.0.name: must be a DNS label/),
        expect.stringMatching(/^pitcrew.yaml: templates.1.labels:/),
        expect.stringMatching(/^pitcrew.yaml: templates.1.instanceCap:/),
      ]),
    );
  });

  it('refuses unknown keys, so a typo is not silently ignored', () => {
    expect(problemsOf(minimal.replace('image: busybox', 'image: busybox, imagePullPolicy: Always'))).toEqual([
      expect.stringMatching(/templates.0: Unrecognized key: "imagePullPolicy"/),
    ]);
  });

  it('refuses a template whose source has no connection, and duplicate names', () => {
    const problems = problemsOf(`${minimal}  - { name: gen, source: jenkins, labels: [linux] }\n`);
    expect(problems).toEqual(
      expect.arrayContaining([
        "pitcrew.yaml: templates.1.name: 'gen' is used by another template",
        "pitcrew.yaml: templates.1.source: 'jenkins' has no connection under sources",
      ]),
    );
  });

  it('says where YAML is broken', () => {
    expect(problemsOf('cluster: [unclosed')).toEqual([
      expect.stringMatching(/^pitcrew.yaml: is not valid YAML at line 1/),
    ]);
  });

  it('refuses a key given twice, naming it, in YAML and in JSON (which it reads without the YAML parser)', () => {
    // JSON.parse keeps the last of two silently: the first section, the one its author reviewed, would
    // be dropped without a word.
    const json = `{"cluster": {"credentials": {"kind": "kubeconfig", "path": "/tmp/k"}},
 "sources": {"generic": {"webhookSecret": {"env": "A"}}, "generic": {"webhookSecret": {"env": "B"}}},
 "templates": [{"name": "gen", "source": "generic", "labels": ["linux"], "image": "busybox"}]}`;
    expect(problemsOf(json)).toEqual([
      'pitcrew.yaml: gives sources.generic twice (line 2): write each key once',
    ]);
    expect(problemsOf(`${minimal}sources: {}\n`)).toEqual([
      'pitcrew.yaml: gives sources twice (line 8): write each key once',
    ]);
  });
});

describe('cluster credentials and secret references for a deployed stage', () => {
  const withCluster = (credentials: string, secret = '{ ssm: /pitcrew/prod/generic }') =>
    minimal
      .replace('{ kind: kubeconfig, path: /tmp/kubeconfig }', credentials)
      .replace('{ env: GENERIC_SECRET }', secret);

  it('accepts an EKS cluster by name alone, and SSM and Secrets Manager references with {stage}', () => {
    const config = parseConfig(
      withCluster(
        '{ kind: eks, clusterName: ci-agents }',
        "{ secretsManager: 'pitcrew/{stage}/ci', key: generic }",
      ),
    );
    expect(config.cluster.credentials).toEqual({ kind: 'eks', clusterName: 'ci-agents' });
    expect(config.sources.generic?.webhookSecret).toEqual({
      secretsManager: 'pitcrew/{stage}/ci',
      key: 'generic',
    });
    expect(config.secrets).toEqual({ maxAgeSeconds: 300 });
  });

  it('refuses secrets read again sooner than every 30 s (a request need not be signed to make the read)', () => {
    expect(problemsOf(`${minimal}secrets: { maxAgeSeconds: 0 }\n`)).toEqual([
      'pitcrew.yaml: secrets.maxAgeSeconds: must be at least 30: secrets are read again before any request once they are older, signed or not',
    ]);
    expect(parseConfig(`${minimal}secrets: { maxAgeSeconds: 30 }\n`).secrets).toEqual({ maxAgeSeconds: 30 });
  });

  it('refuses secrets reused for over an hour (a revoked webhook secret verifies until it is read again)', () => {
    expect(problemsOf(`${minimal}secrets: { maxAgeSeconds: 31536000 }\n`)).toEqual([
      'pitcrew.yaml: secrets.maxAgeSeconds: must be at most 3600: a deleted or revoked webhook secret keeps verifying until it is read again',
    ]);
    expect(parseConfig(`${minimal}secrets: { maxAgeSeconds: 3600 }\n`).secrets).toEqual({
      maxAgeSeconds: 3600,
    });
  });

  it('wants an EKS endpoint and its CA together', () => {
    expect(
      problemsOf(withCluster("{ kind: eks, clusterName: ci, server: 'https://x.example.com' }")),
    ).toEqual([
      expect.stringMatching(/^pitcrew.yaml: cluster.credentials.caData: server and caData go together/),
    ]);
  });

  it('takes the CA of a token cluster inline or from a secret', () => {
    const config = parseConfig(
      withCluster(
        "{ kind: token, server: 'https://k8s.example.com', token: { ssm: /t }, caData: { secretsManager: ca, key: ca.crt } }",
      ),
    );
    expect(config.cluster.credentials).toMatchObject({ caData: { secretsManager: 'ca', key: 'ca.crt' } });
  });

  it('refuses an SSM reference to a Secrets Manager secret, which the build cannot grant, naming the key and the form to write', () => {
    // SSM's /aws/reference/secretsmanager/<name> needs secretsmanager:GetSecretValue on the secret
    // too; an ssm reference is granted ssm:GetParameter only, so every read would be denied.
    const cluster =
      "{ kind: token, server: 'https://k8s.example.com', token: { ssm: 'arn:aws:ssm:eu-west-1:123456789012:parameter/aws/reference/secretsmanager/k8s' } }";
    expect(
      problemsOf(withCluster(cluster, "{ ssm: '/aws/reference/secretsmanager/pitcrew/{stage}/ci' }")),
    ).toEqual([
      expect.stringMatching(
        /^pitcrew.yaml: sources.generic.webhookSecret.ssm: reads a Secrets Manager secret through SSM, .*: write \{ secretsManager: 'pitcrew\/\{stage\}\/ci' \} instead$/,
      ),
      expect.stringMatching(
        /^pitcrew.yaml: cluster.credentials.token.ssm: reads a Secrets Manager secret through SSM, .*: write \{ secretsManager: 'k8s' \} instead$/,
      ),
    ]);
  });

  it('refuses names SSM would refuse, naming the key', () => {
    expect(
      problemsOf(withCluster('{ kind: kubeconfig, path: /k }', "{ ssm: '/pitcrew/{region}/x y' }")),
    ).toEqual([expect.stringMatching(/sources.generic.webhookSecret/)]);
  });
});

describe('secret resolution (env and file references)', () => {
  it('refuses an empty secret file and an unset variable, naming the setting and not a value', async () => {
    const { createSecretResolver } = await import('../../../shared/config');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'pitcrew-secret-')), 'empty');
    writeFileSync(file, '  \n');
    const resolver = createSecretResolver({ env: {}, stage: 'test', maxAgeSeconds: 0 });
    await expect(resolver.resolve({ file }, 'sources.generic.webhookSecret')).rejects.toThrow(
      /sources.generic.webhookSecret: secret file '.*' is empty/,
    );
    await expect(
      resolver.resolve({ env: 'NOT_SET_ANYWHERE' }, 'sources.github.webhookSecret'),
    ).rejects.toThrow(/environment variable NOT_SET_ANYWHERE is not set/);
  });
});

describe('webhook trust settings', () => {
  const github = (extra: string) => `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
sources:
  github:
    webhookSecret: { env: GH }
    auth: { token: { env: TOKEN } }
${extra}
templates:
  - { name: gh, source: github, labels: [linux] }
`;

  it('requires the GitHub repositories allow-list, and fills the safe defaults', () => {
    expect(problemsOf(github(''))).toEqual([
      expect.stringMatching(/^pitcrew.yaml: sources.github.repositories: /),
    ]);
    const config = parseConfig(github('    repositories: [acme/app, tools/*]'));
    expect(config.sources.github).toMatchObject({
      repositories: ['acme/app', 'tools/*'],
      allowPublicRepositories: false,
      maxJobAgeHours: 24,
      maxBacklog: 500,
    });
    expect(problemsOf(github('    repositories: []'))).toEqual([
      'pitcrew.yaml: sources.github.repositories: list at least one owner/repo or owner/*',
    ]);
  });

  it('refuses a repository pattern that is not owner/repo or owner/*, naming the entry', () => {
    expect(problemsOf(github('    repositories: [acme, "*/*", acme/a/b]'))).toEqual([
      'pitcrew.yaml: sources.github.repositories.0: must be owner/repo or owner/* (letters, digits, . _ -)',
      'pitcrew.yaml: sources.github.repositories.1: must be owner/repo or owner/* (letters, digits, . _ -)',
      'pitcrew.yaml: sources.github.repositories.2: must be owner/repo or owner/* (letters, digits, . _ -)',
    ]);
  });

  it('refuses a polled repository outside the allow-list', () => {
    expect(
      problemsOf(github('    repositories: [acme/*]\n    pollRepositories: [acme/app, other/app]')),
    ).toEqual([
      "pitcrew.yaml: sources.github.pollRepositories.1: 'other/app' is not among sources.github.repositories",
    ]);
  });

  it('takes a list of webhook secrets (a rotation) and a signature tolerance for Pitcrew-signed sources', () => {
    const config = parseConfig(`
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
sources:
  generic:
    webhookSecret: [{ env: OLD }, { env: NEW }]
    signatureToleranceSeconds: 60
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`);
    expect(config.sources.generic).toMatchObject({
      webhookSecret: [{ env: 'OLD' }, { env: 'NEW' }],
      signatureToleranceSeconds: 60,
      maxBacklog: 500,
    });
    expect(parseConfig(minimal).sources.generic?.signatureToleranceSeconds).toBe(300);
  });

  it('refuses one webhook secret named by two sources', () => {
    expect(
      problemsOf(`
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
sources:
  generic: { webhookSecret: { ssm: /pitcrew/shared } }
  jenkins:
    webhookSecret: [{ ssm: /pitcrew/jenkins }, { ssm: /pitcrew/shared }]
    url: https://jenkins.example.com/
    user: pitcrew
    apiToken: { env: T }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`),
    ).toEqual([
      'pitcrew.yaml: sources.generic.webhookSecret: is also the webhook secret of sources.jenkins: give each source its own secret',
    ]);
  });

  it('caps maxJobAgeHours below the 14 days an ended request is kept', () => {
    expect(problemsOf(github('    repositories: [acme/*]\n    maxJobAgeHours: 200'))).toEqual([
      expect.stringMatching(/^pitcrew.yaml: sources.github.maxJobAgeHours: /),
    ]);
  });

  it('refuses a webhook secret that is also the generic agent token (every generic agent holds it)', () => {
    expect(
      problemsOf(`
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
sources:
  generic: { webhookSecret: { ssm: /pitcrew/token }, agentToken: { ssm: /pitcrew/token } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`),
    ).toEqual([expect.stringContaining('sources.generic.webhookSecret: is also sources.generic.agentToken')]);
  });

  describe('a webhook secret that every agent holds, spelled another way (the same secret by name and by ARN)', () => {
    const withGeneric = (webhookSecret: string, agentToken: string) =>
      problemsOf(`
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
sources:
  generic:
    webhookSecret: ${webhookSecret}
    agentToken: ${agentToken}
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`);
    it.each([
      [
        "{ ssm: '/pitcrew/prod/token' }",
        "{ ssm: 'arn:aws:ssm:eu-west-1:123456789012:parameter/pitcrew/prod/token' }",
      ],
      ["{ ssm: 'token' }", "{ ssm: 'arn:aws:ssm:eu-west-1:123456789012:parameter/token' }"],
      [
        "{ secretsManager: 'pitcrew/prod/token' }",
        "{ secretsManager: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pitcrew/prod/token-AbCdEf' }",
      ],
      [
        "{ secretsManager: 'pitcrew/prod/tokens', key: hmac }",
        "{ secretsManager: 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:pitcrew/prod/tokens-Zz0123', key: hmac }",
      ],
      ["{ ssm: '/pitcrew/{stage}/token' }", "{ ssm: '/pitcrew/prod/token' }"],
      // A secret read whole (no key) holds every key of it.
      ["{ secretsManager: 'pitcrew/tokens', key: hmac }", "{ secretsManager: 'pitcrew/tokens' }"],
      [
        "{ secretsManager: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pitcrew/tokens-AbCdEf', key: hmac }",
        "{ secretsManager: 'pitcrew/tokens' }",
      ],
      [
        "{ ssm: '/pitcrew/prod/token' }",
        "{ ssm: 'arn:aws:ssm:eu-west-1:123456789012:parameter/pitcrew/{stage}/token' }",
      ],
    ])('refuses %s signing when agents hold %s', (webhookSecret, agentToken) => {
      expect(withGeneric(webhookSecret, agentToken)).toEqual([
        expect.stringContaining('sources.generic.webhookSecret: is also sources.generic.agentToken'),
      ]);
    });

    it.each([
      ["{ ssm: '/pitcrew/prod/token' }", "{ ssm: '/pitcrew/prod/agent' }"],
      ["{ secretsManager: 'pitcrew/tokens', key: hmac }", "{ secretsManager: 'pitcrew/tokens', key: agent }"],
      ["{ secretsManager: 'pitcrew/tokens', key: hmac }", "{ ssm: '/pitcrew/tokens' }"],
      ["{ ssm: '/pitcrew/{stage}/token' }", "{ ssm: '/pitcrew/{stage}/agent' }"],
    ])('takes %s and %s for two secrets', (webhookSecret, agentToken) => {
      expect(withGeneric(webhookSecret, agentToken)).toEqual([]);
    });
  });

  it('refuses a DNS server that is neither an address nor pods, or both, naming the entry and its key', () => {
    const withDns = (servers: string) =>
      problemsOf(`
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
  network:
    dnsServers:
${servers}
sources:
  generic: { webhookSecret: { env: X } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox, egressCidrs: [10.0.0.0/8] }
`);
    expect(
      withDns(
        '      - { cidr: 169.254.20.10/32 }\n      - { namespace: dns, podLabels: { k8s-app: kube-dns } }',
      ),
    ).toEqual([]);
    expect(
      withDns(
        [
          '      - { cidr: 169.254.20.10 }',
          '      - { cidr: 10.0.0.10/32, namespace: kube-system, podLabels: { k8s-app: kube-dns } }',
          '      - {}',
          '      - { namespace: kube-system }',
          '      - { namespace: kube-system, podLabels: {} }',
          "      - { namespace: kube-system, podLabels: { 'bad key!': x } }",
          "      - { namespace: kube-system, podLabels: { k8s-app: 'not a value' } }",
          '      - { namespace: Kube_System, podLabels: { k8s-app: kube-dns } }',
          '      - { address: 10.0.0.10 }',
        ].join('\n'),
      ),
    ).toEqual([
      expect.stringMatching(/^pitcrew.yaml: cluster.network.dnsServers.0.cidr: must be a CIDR/),
      expect.stringMatching(
        /^pitcrew.yaml: cluster.network.dnsServers.1.cidr: name a server by cidr, or by namespace/,
      ),
      expect.stringMatching(
        /^pitcrew.yaml: cluster.network.dnsServers.2: must give a cidr, or a namespace and podLabels/,
      ),
      expect.stringMatching(
        /^pitcrew.yaml: cluster.network.dnsServers.3.podLabels: a server chosen by its pods needs both/,
      ),
      expect.stringMatching(
        /^pitcrew.yaml: cluster.network.dnsServers.4.podLabels: a server chosen by its pods needs both/,
      ),
      expect.stringMatching(
        /^pitcrew.yaml: cluster.network.dnsServers.5.podLabels.bad key!: must be a Kubernetes label key/,
      ),
      expect.stringMatching(
        /^pitcrew.yaml: cluster.network.dnsServers.6.podLabels.k8s-app: must be a Kubernetes label value/,
      ),
      expect.stringMatching(/^pitcrew.yaml: cluster.network.dnsServers.7.namespace: must be a DNS label/),
      expect.stringMatching(/^pitcrew.yaml: cluster.network.dnsServers.8: .*"address"/),
      expect.stringMatching(/^pitcrew.yaml: cluster.network.dnsServers.8: must give a cidr/),
    ]);
  });

  it("refuses the provisioner's account in the agents' namespace", () => {
    expect(
      problemsOf(`
cluster:
  namespace: ci
  credentials: { kind: kubeconfig, path: /tmp/k }
  provisionerServiceAccount: { namespace: ci }
sources:
  generic: { webhookSecret: { env: X } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`),
    ).toEqual([
      expect.stringMatching(
        /^pitcrew.yaml: cluster.provisionerServiceAccount.namespace: must not be the agents' namespace 'ci'/,
      ),
    ]);
  });
});
