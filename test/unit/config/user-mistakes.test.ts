import { parseConfig } from '../../../shared/config';
import { createSourceRegistry } from '../../support/api-modules';
import { configProblemsOf } from '../../support/config-problems';

/**
 * Settings a user writes that the config took, and that then failed at run time, or failed with an
 * error naming no setting (a review of the config as users combine it, 2026-12-05). Each is refused
 * where it is written now, naming its key.
 */
const cluster = 'cluster:\n  credentials: { kind: eks, clusterName: ci-agents }\n';

const githubWithPoll = (entry: string) => `${cluster}sources:
  github:
    webhookSecret: { ssm: /pitcrew/github/webhook-secret }
    auth: { token: { ssm: /pitcrew/github/token } }
    repositories: ['your-org/*']
    pollRepositories: ['${entry}']
  jenkins:
    webhookSecret: { ssm: /pitcrew/jenkins/webhook-secret }
    url: https://jenkins.example.com/
    user: pitcrew
    apiToken: { ssm: /pitcrew/jenkins/api-token }
templates:
  - { name: gh, source: github, labels: [self-hosted, linux] }
  - { name: jk, source: jenkins, labels: [linux] }
`;

describe('sources.github.pollRepositories', () => {
  // `your-org/*` is how `repositories` is written (the example's form); the adapter polls by name,
  // and threw at every cold start of provision and the reaper, for every CI.
  it.each(['your-org/*', 'your-org/..', 'your-org/a#b', '../repo'])(
    'refuses %s, naming the entry',
    (entry) => {
      expect(configProblemsOf(githubWithPoll(entry))).toContainEqual(
        expect.stringMatching(/^pitcrew\.yaml: sources\.github\.pollRepositories\.0: must be owner\/repo /),
      );
    },
  );

  it.each(['your-org/app', 'your-org/app.v2', 'your-org/.github'])(
    'takes %s, and the adapters of every CI are built from it',
    (entry) => {
      const config = parseConfig(githubWithPoll(entry), 'pitcrew.yaml');
      expect(() => createSourceRegistry(config.sources, () => 'resolved-secret')).not.toThrow();
    },
  );
});

const jenkinsAt = (url: string, clusterText = cluster) => `${clusterText}sources:
  jenkins:
    webhookSecret: { ssm: /pitcrew/jenkins/webhook-secret }
    url: '${url}'
    user: pitcrew
    apiToken: { ssm: /pitcrew/jenkins/api-token }
templates:
  - { name: jk, source: jenkins, labels: [linux] }
`;
const gitlabAt = (url: string) => `${cluster}sources:
  gitlab:
    webhookSecret: { ssm: /pitcrew/gitlab/webhook-secret }
    apiUrl: '${url}'
    apiToken: { ssm: /pitcrew/gitlab/api-token }
    projects: [acme/*]
    tags: [linux]
templates:
  - { name: gl, source: gitlab, labels: [linux] }
`;
const githubAt = (url: string) => `${cluster}sources:
  github:
    webhookSecret: { ssm: /pitcrew/github/webhook-secret }
    apiUrl: '${url}'
    auth: { token: { ssm: /pitcrew/github/token } }
    repositories: [acme/*]
templates:
  - { name: gh, source: github, labels: [self-hosted] }
`;
const tokenClusterAt = (url: string) =>
  jenkinsAt(
    'https://jenkins.example.com/',
    `cluster:\n  credentials: { kind: token, server: '${url}', token: { ssm: /pitcrew/cluster-token } }\n`,
  );

describe('URL settings', () => {
  // A user:password in a URL would be bundled into every function and printed in every error naming
  // the URL; fetch refuses such a URL anyway (GitHub, GitLab and Buildkite then failed every build).
  it.each([
    ['sources.jenkins.url', jenkinsAt('https://pitcrew:11aa22bb33cc@jenkins.example.com/')],
    ['sources.gitlab.apiUrl', gitlabAt('https://oauth2:glpat-abcdefghijklmnop@gitlab.example.com')],
    ['sources.github.apiUrl', githubAt('https://x-access-token@ghe.example.com/api/v3')],
    ['cluster.credentials.server', tokenClusterAt('https://admin:secret@k8s.example.com:6443')],
  ])('%s with credentials in it is refused, and the problem does not repeat them', (setting, text) => {
    const problems = configProblemsOf(text);
    expect(problems).toEqual([
      `pitcrew.yaml: ${setting}: must not hold a user or password: put credentials in their own secret settings`,
    ]);
    expect(problems.join()).not.toMatch(/secret@|glpat|11aa22bb33cc|x-access-token/);
  });

  // `URL` reads `jenkins.internal:8080` as the scheme `jenkins.internal:`: a local config took it, and
  // the webhook then stopped at cold start with an error naming no setting.
  it.each([
    ['sources.jenkins.url', jenkinsAt('jenkins.internal:8080')],
    ['sources.jenkins.url', jenkinsAt('localhost:8080')],
    ['sources.gitlab.apiUrl', gitlabAt('gitlab.internal:8443')],
    ['sources.github.apiUrl', githubAt('ftp://ghe.example.com/api/v3')],
  ])('%s without an http(s) scheme is refused, naming the key', (setting, text) => {
    expect(configProblemsOf(text)).toEqual([`pitcrew.yaml: ${setting}: must be an http:// or https:// URL`]);
  });

  it.each([
    ['http://localhost:8080/', jenkinsAt],
    ['https://gitlab.example.com', gitlabAt],
    ['https://ghe.example.com/api/v3', githubAt],
  ])('takes %s', (url, configAt) => {
    expect(configProblemsOf(configAt(url))).toEqual([]);
  });
});

describe('sources.github.auth.app.appId', () => {
  const withAppId = (appId: string) => `${cluster}sources:
  github:
    webhookSecret: { ssm: /pitcrew/github/webhook-secret }
    auth: { app: { appId: ${appId}, privateKey: { secretsManager: pitcrew/github-app-key } } }
    repositories: [acme/*]
templates:
  - { name: gh, source: github, labels: [self-hosted] }
`;
  // GitHub shows an App's id as a number, and YAML reads it unquoted as one.
  it.each(['123456', "'123456'"])('written %s, is the id as text', (appId) => {
    const auth = parseConfig(withAppId(appId), 'pitcrew.yaml').sources.github?.auth;
    expect(auth).toEqual({
      app: { appId: '123456', privateKey: { secretsManager: 'pitcrew/github-app-key' } },
    });
  });

  it.each(['0', '-3', '1.5', 'true'])('written %s, is refused', (appId) => {
    expect(configProblemsOf(withAppId(appId))).toEqual([
      "pitcrew.yaml: sources.github.auth.app.appId: must be the App's id, such as '123456'",
    ]);
  });
});

describe('sources.gitlab.tags and the GitLab templates', () => {
  // GitLab's Job Hook carries no tags, so every GitLab job asks for `sources.gitlab.tags`: a template
  // that cannot serve them served no job, and each delivery was answered `ignored`.
  const gitlab = (tags: string, template: string) => `${cluster}sources:
  gitlab:
    webhookSecret: { ssm: /pitcrew/gitlab/webhook-secret }
    apiToken: { ssm: /pitcrew/gitlab/api-token }
    projects: [acme/*]
    tags: ${tags}
templates:
  - { name: gl, source: gitlab, ${template} }
`;

  it.each([
    ['[linux, docker]', 'labels: [linux]', 'do not offer them all'],
    ['[docker]', 'labels: [linux]', 'do not offer them all'],
    ['[linux]', 'labels: [linux, docker], match: exact', 'are not that set (match: exact)'],
  ])('tags %s with a template of %s: refused, naming the template', (tags, template, why) => {
    expect(configProblemsOf(gitlab(tags, template))).toEqual([
      `pitcrew.yaml: templates.0.labels: serves no gitlab build: every one asks for sources.gitlab.tags ${tags} (its events carry no labels of their own), and these labels ${why}`,
    ]);
  });

  it.each([
    ['[linux, docker]', 'labels: [linux, docker, x64]'],
    ['[Linux]', 'labels: [linux], match: exact'],
    // Its `from` is judged on its own; the labels serve.
    ['[linux]', 'labels: [linux], from: [acme/app]'],
  ])('tags %s with a template of %s: taken', (tags, template) => {
    expect(configProblemsOf(gitlab(tags, template))).toEqual([]);
  });
});

describe('sources.jenkins.tunnel', () => {
  // Pitcrew's agents always connect over WebSocket; the inbound agent refuses -tunnel with
  // -webSocket, so every agent exited at start (a review of the Jenkins path, 2026-12-06).
  it('is refused, naming the key and saying why', () => {
    const text = jenkinsAt('https://jenkins.example.com/').replace(
      '    apiToken:',
      '    tunnel: jenkins-agents.example.com:50000\n    apiToken:',
    );
    expect(text).toContain('tunnel: jenkins-agents');
    expect(configProblemsOf(text)).toEqual([
      expect.stringMatching(
        /^pitcrew\.yaml: sources\.jenkins\.tunnel: cannot be used: Pitcrew's Jenkins agents connect over WebSocket through url/,
      ),
    ]);
  });
});

describe('cluster timeouts', () => {
  // A call longer than the provision function's 30 s timeout let Lambda stop the whole batch, and
  // every message in it came back (a review of the deployment, 2026-12-06).
  const withTimeout = (key: string, ms: number) =>
    jenkinsAt('https://jenkins.example.com/').replace(
      'clusterName: ci-agents }\n',
      `clusterName: ci-agents }\n  ${key}: ${ms}\n`,
    );

  it.each(['connectTimeoutMs', 'requestTimeoutMs'])(
    '%s at the provision timeout or above: refused',
    (key) => {
      for (const ms of [30000, 60000])
        expect(configProblemsOf(withTimeout(key, ms))).toEqual([
          `pitcrew.yaml: cluster.${key}: must be less than 30000 (the provision function's timeout, in ms)`,
        ]);
    },
  );

  it.each(['connectTimeoutMs', 'requestTimeoutMs'])('%s under it: taken', (key) => {
    expect(withTimeout(key, 29999)).toContain(`${key}: 29999`);
    expect(configProblemsOf(withTimeout(key, 29999))).toEqual([]);
  });
});
