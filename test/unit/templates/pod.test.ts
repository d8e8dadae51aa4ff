import { readFileSync } from 'node:fs';
import { configFileSchema, parseConfig, templateSchema, type PitcrewConfig } from '../../../shared/config';
import { agentResources, quantityValue, renderAgentPod, renderAgentSecret } from '../../../shared/templates';

const defaults: PitcrewConfig['defaults'] = configFileSchema.shape.defaults.parse(undefined);
const render = (
  fields: Record<string, unknown>,
  agentEnv: Record<string, string> = {},
  agentEnvDefaults?: Record<string, string>,
) =>
  renderAgentPod({
    template: templateSchema.parse({ name: 'tpl', source: 'jenkins', labels: ['linux'], ...fields }),
    defaults,
    namespace: 'agents',
    podName: 'pc-tpl-abc',
    requestId: 'jenkins-abc',
    agentEnv,
    agentEnvDefaults,
  });

describe('renderAgentPod', () => {
  it('puts safe defaults on every pod', () => {
    const pod = render({});
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      activeDeadlineSeconds: 4 * 3600,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    });
    expect(pod.spec?.containers[0]).toMatchObject({
      name: 'agent',
      image: 'jenkins/inbound-agent:latest',
      resources: {
        requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
        limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
      },
      securityContext: {
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ['ALL'] },
      },
      envFrom: [{ secretRef: { name: 'pc-tpl-abc' } }],
    });
  });

  it('takes the pod identity from the template alone: podYaml names no account and mounts no token', () => {
    const podYaml =
      'spec:\n  serviceAccountName: pitcrew-provisioner\n  serviceAccount: pitcrew-provisioner\n  automountServiceAccountToken: true\n';
    const pod = render({ podYaml });
    expect(pod.spec?.automountServiceAccountToken).toBe(false);
    expect(pod.spec).not.toHaveProperty('serviceAccountName');
    expect(pod.spec).not.toHaveProperty('serviceAccount');
    const named = render({ podYaml, serviceAccount: 'builder' });
    expect(named.spec).toMatchObject({ serviceAccountName: 'builder', automountServiceAccountToken: true });
    expect(named.spec).not.toHaveProperty('serviceAccount');
  });

  it('gives containers a template adds through podYaml the same safe defaults, keeping what it set', () => {
    const pod = render({
      podYaml: [
        'spec:',
        '  initContainers: [{ name: clone, image: alpine }]',
        '  containers:',
        '    - { name: side, image: alpine }',
        '    - { name: loose, image: alpine, securityContext: { allowPrivilegeEscalation: true } }',
      ].join('\n'),
    });
    const safe = { allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } };
    expect(pod.spec?.initContainers?.[0]?.securityContext).toEqual(safe);
    expect(pod.spec?.containers.map((container) => container.securityContext)).toEqual([
      safe,
      safe,
      { ...safe, allowPrivilegeEscalation: true },
    ]);
  });

  it('keeps drop ALL under capabilities a container adds, for the agent and a sidecar alike', () => {
    const pod = render({
      podYaml: [
        'spec:',
        '  containers:',
        '    - { name: agent, securityContext: { capabilities: { add: [NET_BIND_SERVICE] } } }',
        '    - { name: side, image: alpine, securityContext: { capabilities: { add: [NET_BIND_SERVICE] } } }',
      ].join('\n'),
    });
    for (const container of pod.spec?.containers ?? [])
      expect(container.securityContext?.capabilities).toEqual({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
  });

  it('gives a privileged container no allowPrivilegeEscalation default, which the API server refuses beside it', () => {
    const pod = render({
      podSecurity: 'privileged',
      podYaml: [
        'spec:',
        '  containers:',
        '    - { name: agent, securityContext: { privileged: true } }',
        '    - { name: dind, image: docker:dind, securityContext: { privileged: true } }',
      ].join('\n'),
    });
    for (const container of pod.spec?.containers ?? [])
      expect(container.securityContext).toEqual({ privileged: true, capabilities: { drop: ['ALL'] } });
  });

  it('mounts a ServiceAccount token only when the template names one', () => {
    expect(render({ serviceAccount: 'builder' }).spec).toMatchObject({
      automountServiceAccountToken: true,
      serviceAccountName: 'builder',
    });
  });

  it('uses the GitHub runner image and entry point by default', () => {
    const pod = render({ source: 'github' });
    expect(pod.spec?.containers[0]).toMatchObject({
      image: 'ghcr.io/actions/actions-runner:latest',
      command: ['/home/runner/run.sh'],
    });
  });

  it('merges the template env with the agent env, the agent env winning', () => {
    const pod = render({ env: { A: '1', JENKINS_URL: 'template' } }, { JENKINS_URL: 'https://ci/' });
    expect(pod.spec?.containers[0]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'JENKINS_URL', value: 'https://ci/' },
    ]);
  });

  // Kubernetes expands `$(NAME)` in an env value and turns `$$` into `$`: a job id from a generic
  // delivery reached the agent rewritten (a review of the fixes, 2026-12-06).
  it("gives the agent Pitcrew's env values as written, `$(NAME)` and `$$` included; a template's own as its author wrote them", () => {
    /** What the kubelet does to each value, with the variables before it. */
    const asTheAgentSees = (env: { name: string; value?: string }[]): Record<string, string> => {
      const seen: Record<string, string> = {};
      for (const { name, value = '' } of env)
        seen[name] = value.replace(/\$\$|\$\(([^)]*)\)/g, (match, ref: string | undefined) =>
          match === '$$' ? '$' : ref !== undefined && ref in seen ? seen[ref]! : match,
        );
      return seen;
    };
    const jobId = 'deploy-$$1-$(PITCREW_AGENT_NAME)-$(HOME)';
    const pod = render(
      { env: { GREETING: 'hi', REF: '$(GREETING) there' } },
      { PITCREW_AGENT_NAME: 'pc-tpl-abc', PITCREW_JOB_ID: jobId },
      { WORKDIR: '/tmp/$work' },
    );
    expect(asTheAgentSees(pod.spec?.containers[0]?.env ?? [])).toEqual({
      WORKDIR: '/tmp/$work',
      GREETING: 'hi',
      REF: 'hi there',
      PITCREW_AGENT_NAME: 'pc-tpl-abc',
      PITCREW_JOB_ID: jobId,
    });
  });

  it('merges podYaml over the pod: containers by name, other lists replaced, new containers appended', () => {
    const pod = render({
      tolerations: [{ key: 'a', operator: 'Exists' }],
      podYaml: [
        'metadata:',
        '  annotations: { team: infra }',
        'spec:',
        '  tolerations: [{ key: b, operator: Exists }]',
        '  containers:',
        '    - name: agent',
        '      workingDir: /work',
        '    - name: docker',
        '      image: docker:dind-rootless',
      ].join('\n'),
    });
    expect(pod.metadata?.annotations).toEqual({ team: 'infra' });
    expect(pod.spec?.tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
    expect(pod.spec?.containers.map((container) => container.name)).toEqual(['agent', 'docker']);
    expect(pod.spec?.containers[0]).toMatchObject({
      workingDir: '/work',
      image: 'jenkins/inbound-agent:latest',
    });
  });

  it('keeps Pitcrew identity fields whatever podYaml says', () => {
    const pod = render({
      podYaml: [
        'metadata: { name: other, namespace: kube-system, labels: { app.kubernetes.io/managed-by: someone } }',
        'spec:',
        '  restartPolicy: Always',
        '  containers: [{ name: agent, envFrom: [{ secretRef: { name: someone-elses } }] }]',
      ].join('\n'),
    });
    expect(pod.metadata).toMatchObject({
      name: 'pc-tpl-abc',
      namespace: 'agents',
      labels: { 'app.kubernetes.io/managed-by': 'pitcrew' },
    });
    expect(pod.spec?.restartPolicy).toBe('Never');
    expect(pod.spec?.containers[0]?.envFrom).toEqual([{ secretRef: { name: 'pc-tpl-abc' } }]);
  });
});

describe('resources and lifetime', () => {
  it("merges a template's resources over the defaults field by field", () => {
    // Setting only a request keeps every default limit, ephemeral-storage included.
    expect(render({ resources: { requests: { cpu: '2' } } }).spec?.containers[0]?.resources).toEqual({
      requests: { cpu: '2', memory: '1Gi', 'ephemeral-storage': '1Gi' },
      limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
    });
    expect(
      render({ resources: { limits: { cpu: 4, 'ephemeral-storage': '50Gi' } } }).spec?.containers[0]
        ?.resources,
    ).toEqual({
      requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '4', memory: '2Gi', 'ephemeral-storage': '50Gi' },
    });
  });

  it('merges over defaults a config set (each over its built-in value)', () => {
    const own = configFileSchema.shape.defaults.parse({ resources: { requests: { cpu: '1' } } });
    expect(agentResources({ resources: { requests: { memory: '3Gi' } } }, own)).toEqual({
      requests: { cpu: '1', memory: '3Gi', 'ephemeral-storage': '1Gi' },
      limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
    });
  });

  it("sets activeDeadlineSeconds from the template's maxLifetimeSeconds", () => {
    expect(render({ maxLifetimeSeconds: 600 }).spec?.activeDeadlineSeconds).toBe(600);
  });

  it('lets podYaml shorten the deadline, never lengthen it', () => {
    const podYaml = (seconds: unknown) => `spec:\n  activeDeadlineSeconds: ${String(seconds)}\n`;
    expect(render({ maxLifetimeSeconds: 600, podYaml: podYaml(120) }).spec?.activeDeadlineSeconds).toBe(120);
    expect(render({ maxLifetimeSeconds: 600, podYaml: podYaml(86400) }).spec?.activeDeadlineSeconds).toBe(
      600,
    );
    expect(render({ maxLifetimeSeconds: 600, podYaml: podYaml('"long"') }).spec?.activeDeadlineSeconds).toBe(
      600,
    );
  });

  it('caps the termination grace period at 30 s: podYaml may shorten it, never lengthen it', () => {
    const podYaml = (seconds: unknown) => `spec:\n  terminationGracePeriodSeconds: ${String(seconds)}\n`;
    const grace = (fields: Record<string, unknown>) => render(fields).spec?.terminationGracePeriodSeconds;
    expect(grace({})).toBe(30);
    expect(grace({ podYaml: podYaml(5) })).toBe(5);
    expect(grace({ podYaml: podYaml(86400) })).toBe(30);
    expect(grace({ podYaml: podYaml('"86400"') })).toBe(30);
  });

  it('drops finalizers and owner references a podYaml sets, which would keep the pod and its Secret after its delete', () => {
    const pod = render({
      podYaml: [
        'metadata:',
        '  annotations: { team: infra }',
        '  finalizers: [example.com/hold]',
        '  ownerReferences: [{ apiVersion: v1, kind: ConfigMap, name: keeper, uid: u-1 }]',
      ].join('\n'),
    });
    expect(pod.metadata).not.toHaveProperty('finalizers');
    expect(pod.metadata).not.toHaveProperty('ownerReferences');
    expect(pod.metadata?.annotations).toEqual({ team: 'infra' });
  });

  it.each([
    ['500m', 0.5],
    ['1Gi', 2 ** 30],
    ['1.5G', 1.5e9],
    ['2e3', 2000],
    ['100', 100],
    ['10Zi', undefined],
    ['abc', undefined],
  ])('reads the quantity %s as %s', (quantity, value) => {
    expect(quantityValue(quantity)).toBe(value);
  });
});

describe('renderAgentSecret', () => {
  it('is owned by the pod and holds only the secret env', () => {
    const secret = renderAgentSecret({
      namespace: 'agents',
      podName: 'pc-tpl-abc',
      podUid: 'uid-1',
      requestId: 'r',
      secretEnv: { JENKINS_SECRET: 's3cret' },
    });
    expect(secret.metadata?.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: 'pc-tpl-abc', uid: 'uid-1' },
    ]);
    expect(secret.stringData).toEqual({ JENKINS_SECRET: 's3cret' });
  });
});

describe('the agents’ user', () => {
  // The example's GitHub templates ran as 1000 in ghcr.io/actions/actions-runner, whose runner
  // (uid 1001) owns /home/runner, where run.sh writes _diag and _work: no runner could start
  // (a review of the deployment as shipped, 2026-12-06).
  const example = parseConfig(readFileSync('infra/pitcrew.example.yaml', 'utf8'), 'pitcrew.example.yaml');
  const userOf = (name: string, config = example) => {
    const template = config.templates.find((each) => each.name === name)!;
    return renderAgentPod({
      template,
      defaults: config.defaults,
      namespace: 'agents',
      podName: `pc-${name}-abc`,
      requestId: 'x-abc',
      agentEnv: {},
    }).spec?.securityContext?.runAsUser;
  };

  it('is the image’s own for the example’s templates: 1001 for the GitHub runner, 1000 for the rest', () => {
    expect(
      Object.fromEntries(example.templates.map((template) => [template.name, userOf(template.name)])),
    ).toEqual({
      'gh-linux': 1001,
      'gh-deploy': 1001,
      'jenkins-linux': 1000,
      'buildkite-k8s': 1000,
      'gitlab-linux': 1000,
      'generic-linux': 1000,
    });
  });

  it('is the template’s when it names one, else defaults.runAsUser where the source names none', () => {
    expect(render({ runAsUser: 4242 }).spec?.securityContext?.runAsUser).toBe(4242);
    const github = templateSchema.parse({ name: 'gh', source: 'github', labels: ['linux'], runAsUser: 2000 });
    expect(
      renderAgentPod({
        template: github,
        defaults,
        namespace: 'a',
        podName: 'p',
        requestId: 'r',
        agentEnv: {},
      }).spec?.securityContext?.runAsUser,
    ).toBe(2000);
    expect(render({}, {}).spec?.securityContext?.runAsUser).toBe(defaults.runAsUser);
  });

  it('is defaults.runAsUser for a GitHub template of another image (a runner image of its own)', () => {
    const own = (image: string) =>
      renderAgentPod({
        template: templateSchema.parse({ name: 'gh', source: 'github', labels: ['linux'], image }),
        defaults,
        namespace: 'a',
        podName: 'p',
        requestId: 'r',
        agentEnv: {},
      }).spec?.securityContext?.runAsUser;
    expect(own('summerwind/actions-runner:latest')).toBe(defaults.runAsUser);
    expect(own('ghcr.io/actions/actions-runner-controller/other:1')).toBe(defaults.runAsUser);
    expect(own('ghcr.io/actions/actions-runner@sha256:0123')).toBe(1001);
  });

  it('is never 0: a template’s runAsUser of 0 is refused', () => {
    expect(
      templateSchema.safeParse({ name: 't', source: 'jenkins', labels: ['l'], runAsUser: 0 }).success,
    ).toBe(false);
  });
});

describe('the CI’s env defaults', () => {
  const env = (templateEnv?: Record<string, string>) =>
    render(
      templateEnv ? { env: templateEnv } : {},
      { JENKINS_AGENT_NAME: 'p' },
      { WORK: '/tmp/w', OTHER: 'x' },
    ).spec?.containers[0]?.env;

  // Buildkite's build path: a template that keeps its builds on a volume says where (a review, 2026-12-06).
  it('go under the template’s own env, which goes under the CI’s own', () => {
    expect(env()).toEqual(
      expect.arrayContaining([
        { name: 'WORK', value: '/tmp/w' },
        { name: 'OTHER', value: 'x' },
      ]),
    );
    expect(env({ WORK: '/workspace', JENKINS_AGENT_NAME: 'mine' })).toEqual(
      expect.arrayContaining([
        { name: 'WORK', value: '/workspace' },
        { name: 'OTHER', value: 'x' },
        { name: 'JENKINS_AGENT_NAME', value: 'p' },
      ]),
    );
  });
});
