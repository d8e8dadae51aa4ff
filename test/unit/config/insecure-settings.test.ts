import { readFileSync } from 'node:fs';
import { insecureSettings, isLocalStage, parseConfig } from '../../../shared/config';

const exampleFile = 'infra/pitcrew.example.yaml';

/** A config as `pitcrew dev` and the tests write them: fine locally, unsafe on a deployed stage. */
const localConfig = `
cluster:
  credentials:
    kind: token
    server: http://127.0.0.1:6443
    token: { file: /var/run/token }
    caData: { env: CLUSTER_CA }
    skipTlsVerify: true
sources:
  github:
    webhookSecret: [{ ssm: /pitcrew/gh-old }, { value: new-secret }]
    apiUrl: http://127.0.0.1:3000/api/v3
    auth: { token: { env: GITHUB_TOKEN } }
    repositories: [acme/*]
  jenkins:
    webhookSecret: { ssm: /pitcrew/jenkins }
    url: http://jenkins.internal:8080/
    user: pitcrew
    apiToken: { secretsManager: pitcrew/jenkins-token }
  generic:
    webhookSecret: { secretsManager: pitcrew/generic, key: secret }
    agentToken: { value: agent-token }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox:1.36 }
`;

const settingsOf = (text: string): string[] =>
  insecureSettings(parseConfig(text)).map((problem) => problem.setting);

describe('insecureSettings', () => {
  it('names every key a deployed stage must not have, each once, and nothing else', () => {
    expect(settingsOf(localConfig).sort()).toEqual(
      [
        'sources.github.webhookSecret.1',
        'sources.github.auth.token',
        'sources.generic.agentToken',
        'cluster.credentials.token',
        'cluster.credentials.caData',
        'cluster.credentials.skipTlsVerify',
        'sources.github.apiUrl',
        'sources.jenkins.url',
        'cluster.credentials.server',
      ].sort(),
    );
  });

  it('says what is wrong and what to use instead, never the value', () => {
    const problems = insecureSettings(parseConfig(localConfig));
    const problem = (setting: string) => problems.find((entry) => entry.setting === setting)?.problem;
    expect(problem('sources.generic.agentToken')).toMatch(/\{ value \} secret.*SSM.*Secrets Manager/);
    expect(problem('cluster.credentials.token')).toMatch(/\{ file \} secret/);
    expect(problem('sources.github.auth.token')).toMatch(/\{ env \} secret/);
    expect(problem('cluster.credentials.skipTlsVerify')).toMatch(/is true.*caData/);
    expect(problem('sources.jenkins.url')).toMatch(/is not https \(http:\/\/\)/);
    expect(JSON.stringify(problems)).not.toMatch(/new-secret|agent-token|GITHUB_TOKEN|\/var\/run\/token/);
  });

  it('refuses a kubeconfig cluster, a file of credentials for local clusters', () => {
    const text = localConfig.replace(
      /cluster:\n {2}credentials:\n(?: {4}.*\n)+/,
      'cluster:\n  credentials: { kind: kubeconfig, path: /tmp/kubeconfig }\n',
    );
    expect(settingsOf(text)).toContain('cluster.credentials.kind');
    expect(settingsOf(text)).not.toContain('cluster.credentials.server');
  });

  it('checks the server of an EKS cluster too', () => {
    const eks = (server: string) => `
cluster:
  credentials: { kind: eks, clusterName: ci, server: '${server}', caData: LS0t }
sources:
  generic: { webhookSecret: { ssm: /pitcrew/generic } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox:1.36 }
`;
    expect(settingsOf(eks('http://ABC.gr7.eu-west-1.eks.amazonaws.com'))).toEqual([
      'cluster.credentials.server',
    ]);
    expect(settingsOf(eks('https://ABC.gr7.eu-west-1.eks.amazonaws.com'))).toEqual([]);
  });

  it('finds nothing in the example config, which pins every image', () => {
    const example = parseConfig(readFileSync(exampleFile, 'utf8'), exampleFile);
    expect(insecureSettings(example)).toEqual([]);
    for (const template of example.templates) {
      // A tag after the last `/` (a registry port is not a tag), and not a moving `latest*` one.
      const tag = /:([^/:@]+)$/.exec(template.image ?? '')?.[1];
      const pinned = tag !== undefined && !tag.startsWith('latest');
      expect({ template: template.name, image: template.image, pinned }).toMatchObject({ pinned: true });
    }
  });
});

describe('isLocalStage', () => {
  it('exempts only the stage pitcrew dev runs; no stage, dev (the serverless default) and prod are deployed', () => {
    expect(isLocalStage('local')).toBe(true);
    for (const stage of [undefined, 'dev', 'test', 'prod', 'Local']) expect(isLocalStage(stage)).toBe(false);
  });
});
