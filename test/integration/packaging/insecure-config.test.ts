import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBuildLock } from '../../support/template';

/** Fine for `pitcrew dev`, unsafe on a deployed stage: each key below is one problem. */
const insecureConfig = `
cluster:
  credentials:
    kind: token
    server: http://127.0.0.1:6443
    token: { file: /var/run/secrets/token }
    skipTlsVerify: true
sources:
  github:
    webhookSecret: { value: not-a-real-secret }
    apiUrl: http://github.internal/api/v3
    auth: { token: { ssm: '/pitcrew/{stage}/github-token' } }
    repositories: [acme/*]
  jenkins:
    webhookSecret: { ssm: '/pitcrew/{stage}/jenkins-secret' }
    url: http://jenkins.internal:8080/
    user: pitcrew
    apiToken: { env: JENKINS_TOKEN }
templates:
  - { name: jk, source: jenkins, labels: [linux], image: 'jenkins/inbound-agent:3309.v27b_9314fd1a_4-1-jdk21' }
`;
const offending = [
  'sources.github.webhookSecret',
  'sources.github.apiUrl',
  'sources.jenkins.url',
  'sources.jenkins.apiToken',
  'cluster.credentials.token',
  'cluster.credentials.skipTlsVerify',
  'cluster.credentials.server',
];

describe('npm run package refuses a config unsafe for a deployed stage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pitcrew-insecure-'));
  const configFile = join(dir, 'pitcrew.yaml');
  writeFileSync(configFile, insecureConfig);
  // As test/support/template.ts packages: offline, with no AWS credentials at all.
  const env = {
    ...process.env,
    PITCREW_CONFIG: configFile,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: 'pitcrew-none',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  const npm = (args: string[]) => {
    const run = spawnSync('npm', ['run', '--silent', ...args], { env, encoding: 'utf8', timeout: 300_000 });
    return { code: run.status, output: `${run.stdout}${run.stderr}` };
  };

  it.each([
    [['package', '--', '--stage', 'prod'], "stage 'prod'"],
    [['package', '--', '-s', 'staging', '--region', 'eu-west-1'], "stage 'staging'"],
    [['package', '--', '--stage=dev'], "stage 'dev'"],
    // serverless.yml's own default stage, `dev`, is a deployed one.
    [['package'], "stage 'dev'"],
    [['build'], 'a deployed stage (no --stage given)'],
  ])('npm run %j: exit 1, naming each offending key, before anything is built', (args, stage) => {
    const run = npm(args);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`refusing to build ${configFile} for ${stage}: 7 settings`);
    for (const key of offending)
      expect(run.output).toMatch(new RegExp(`^  - ${key.replaceAll('.', '\\.')}: `, 'm'));
    expect(run.output).toContain('--allow-insecure-config');
    expect(run.output).not.toContain('not-a-real-secret');
    expect(run.output).not.toMatch(/handler\.mjs/);
  });

  it('npm run package refuses the local stage, which is never deployed and not checked (bug 95)', () => {
    const run = npm(['package', '--', '--stage', 'local']);
    expect(run.code).toBe(2);
    expect(run.output).toContain(
      "npm run package: stage 'local' is pitcrew dev's and never deployed, so its config is not checked for AWS",
    );
  });

  it('packages it with --allow-insecure-config (warning with each key), and builds it for the local stage', () => {
    const out = join(dir, 'package');
    const { PITCREW_CONFIG: _mine, ...exampleEnv } = env;
    let restored: number | null = null;
    // What the bundled config says of the stage it was checked for (bug 95): a local build's is refused
    // at a cold start on any other stage.
    const localOnly = (): unknown =>
      (JSON.parse(readFileSync('dist/pitcrew.config.json', 'utf8')) as { localOnly?: unknown }).localOnly;
    const { allowed, allowedLocalOnly, local, localLocalOnly } = withBuildLock(() => {
      try {
        const allowed = npm([
          'package',
          '--',
          '--stage',
          'prod',
          '--allow-insecure-config',
          '--package',
          out,
        ]);
        const allowedLocalOnly = localOnly();
        const local = npm(['build', '--', '--stage', 'local', 'webhook']);
        return { allowed, allowedLocalOnly, local, localLocalOnly: localOnly() };
      } finally {
        // Other test files package what dist/ holds: leave it as the example config builds it.
        restored = spawnSync('npx', ['tsx', 'scripts/build.ts'], { env: exampleEnv, stdio: 'pipe' }).status;
      }
    });
    expect(restored).toBe(0);
    expect(allowed.output).toContain(
      `warning: building ${configFile} for stage 'prod' with 7 insecure settings, as --allow-insecure-config asks`,
    );
    for (const key of offending) expect(allowed.output).toContain(`  - ${key}: `);
    expect(allowed.code).toBe(0);
    expect(existsSync(join(out, 'cloudformation-template-update-stack.json'))).toBe(true);

    expect(allowedLocalOnly).toBeUndefined();
    expect(local.output).not.toMatch(/refusing|warning/);
    expect(local.code).toBe(0);
    expect(localLocalOnly).toBe(true);
  }, 600_000);
});
