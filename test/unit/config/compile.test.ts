import { readFileSync } from 'node:fs';
import { compileConfig, ConfigError, parseConfig } from '../../../shared/config';
import { renderAgentPod } from '../../../shared/templates';

/**
 * `npm run package` bundles the config as JSON (shared/config/compile.ts): read back, it must be the
 * same config, pods included, and a config a cold start would refuse is refused at build time.
 */
const example = readFileSync('infra/pitcrew.example.yaml', 'utf8');

const withPodYaml = `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
sources:
  generic:
    webhookSecret: { value: s }
templates:
  - name: with-overlay
    source: generic
    labels: [linux]
    image: busybox
    podYaml: |
      # a sidecar, written as YAML with an anchor
      spec:
        nodeSelector: &pool { pool: ci }
        affinity: { nodeAffinity: {} }
        tolerations: [{ key: pool, operator: Equal, value: ci, effect: NoSchedule }]
  - name: comments-only
    source: generic
    labels: [other]
    image: busybox
    podYaml: |
      # nothing yet
`;

const render = (config: ReturnType<typeof parseConfig>, name: string) =>
  renderAgentPod({
    template: config.templates.find((template) => template.name === name)!,
    defaults: config.defaults,
    namespace: 'agents',
    podName: 'pc-1',
    requestId: 'r-1',
    agentEnv: {},
  });

describe('compileConfig', () => {
  it('gives back the example config as shipped, as JSON', () => {
    const compiled = compileConfig(example, 'example');
    expect(() => JSON.parse(compiled) as unknown).not.toThrow();
    expect(parseConfig(compiled, 'compiled')).toEqual(parseConfig(example, 'example'));
  });

  it('turns podYaml into JSON text that renders the same pod, and drops a podYaml of only comments', () => {
    const compiled = compileConfig(withPodYaml, 'config');
    const document = JSON.parse(compiled) as { templates: { podYaml?: string }[] };
    expect(JSON.parse(document.templates[0]!.podYaml!)).toMatchObject({
      spec: { nodeSelector: { pool: 'ci' } },
    });
    expect(document.templates[1]).not.toHaveProperty('podYaml');
    const before = parseConfig(withPodYaml, 'config');
    const after = parseConfig(compiled, 'compiled');
    for (const name of ['with-overlay', 'comments-only'])
      expect(render(after, name)).toEqual(render(before, name));
  });

  it('refuses what a cold start refuses, with the same problems', () => {
    const bad = withPodYaml.replace(
      'image: busybox\n    podYaml',
      'image: busybox\n    instanceCap: -1\n    podYaml',
    );
    const problems = (run: () => unknown): unknown => {
      try {
        run();
      } catch (error) {
        return error instanceof ConfigError ? error.problems : error;
      }
      return 'no error';
    };
    expect(problems(() => compileConfig(bad, 'config'))).toEqual(problems(() => parseConfig(bad, 'config')));
    expect(problems(() => compileConfig(bad, 'config'))).not.toBe('no error');
  });
});
