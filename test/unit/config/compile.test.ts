import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as z from '../../../shared/schema/zod';
import {
  compileConfig,
  compiledConfigFormat,
  ConfigError,
  configFileSchema,
  parseConfig,
  readCompiledConfig,
} from '../../../shared/config';
import { renderAgentPod } from '../../../shared/templates';

/**
 * `npm run package` bundles the config as JSON (shared/config/compile.ts), which the functions use
 * as written (shared/config/load.ts): read back, it must be the same config, pods included, and a
 * config a cold start would refuse is refused at build time.
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
  /** What a cold start reads from the compiled text; fails the test if it is not a compiled config. */
  const readBack = (compiled: string) => {
    const config = readCompiledConfig(compiled, 'compiled');
    if (!config) throw new Error('not read as a compiled config');
    return config;
  };

  it('gives back the example config as shipped, as JSON, with the defaults filled in', () => {
    const compiled = compileConfig(example, 'example');
    expect(JSON.parse(compiled)).toMatchObject({ format: compiledConfigFormat });
    const { templates, ...rest } = parseConfig(example, 'example');
    const { templates: readTemplates, ...readRest } = readBack(compiled);
    expect(readRest).toEqual(rest);
    expect(readTemplates.map(({ podYaml: _podYaml, ...template }) => template)).toEqual(
      templates.map(({ podYaml: _podYaml, ...template }) => template),
    );
    for (const template of templates)
      expect(render(readBack(compiled), template.name)).toEqual(
        render(parseConfig(example, 'example'), template.name),
      );
  });

  it('turns podYaml into JSON text that renders the same pod, and drops a podYaml of only comments', () => {
    const compiled = compileConfig(withPodYaml, 'config');
    const after = readBack(compiled);
    expect(JSON.parse(after.templates[0]!.podYaml!)).toMatchObject({
      spec: { nodeSelector: { pool: 'ci' } },
    });
    expect(after.templates[1]).not.toHaveProperty('podYaml');
    const before = parseConfig(withPodYaml, 'config');
    for (const name of ['with-overlay', 'comments-only'])
      expect(render(after, name)).toEqual(render(before, name));
  });

  /** The ConfigError problems `run` throws, or what it threw or returned otherwise. */
  const problemsOf = (run: () => unknown): unknown => {
    try {
      return run();
    } catch (error) {
      return error instanceof ConfigError ? error.problems : error;
    }
  };

  it('reads only its own format: YAML and hand-written JSON are left to the full parser, another format is refused', () => {
    expect(readCompiledConfig(withPodYaml, 'config')).toBeUndefined();
    expect(readCompiledConfig('{ "cluster": {} }', 'config.json')).toBeUndefined();
    // A `format` key of the user's own is no compiled file: the schema refuses the key, naming it.
    expect(readCompiledConfig('{ "format": "v2", "cluster": {} }', 'config.json')).toBeUndefined();
    expect(problemsOf(() => parseConfig('{ "format": "v2" }', 'config.json'))).toContainEqual({
      setting: 'config.json: (top level)',
      problem: expect.stringContaining('"format"'),
    });
    const older = compileConfig(withPodYaml, 'config').replace(
      compiledConfigFormat,
      'pitcrew-compiled-config/0',
    );
    expect(problemsOf(() => readCompiledConfig(older, 'dist/pitcrew.config.json'))).toEqual([
      {
        setting: 'dist/pitcrew.config.json: format',
        problem: expect.stringContaining('compiled by another Pitcrew build; run npm run package again'),
      },
    ]);
  });

  it('refuses a compiled file changed after npm run package, or without its config, rather than trusting it', () => {
    const compiled = compileConfig(withPodYaml, 'config');
    const edited = compiled.replace('"image": "busybox"', '"image": "evil/miner"');
    expect(edited).not.toBe(compiled);
    expect(problemsOf(() => readCompiledConfig(edited, 'pitcrew.config.json'))).toEqual([
      {
        setting: 'pitcrew.config.json: digest',
        problem: expect.stringContaining('changed after npm run package'),
      },
    ]);
    const { config: _config, ...empty } = JSON.parse(compiled) as Record<string, unknown>;
    expect(problemsOf(() => readCompiledConfig(JSON.stringify(empty), 'pitcrew.config.json'))).toEqual([
      { setting: 'pitcrew.config.json: config', problem: expect.stringContaining('is missing') },
    ]);
  });

  it('is read back in full by the YAML parser too (pitcrew k8s-manifests, PITCREW_CONFIG), checked again', () => {
    const compiled = compileConfig(withPodYaml, 'config');
    expect(parseConfig(compiled, 'dist/pitcrew.config.json')).toEqual(readBack(compiled));
  });

  it("has a format that names the schema's output: change the schema, and bump compiledConfigFormat", () => {
    // The fingerprint of what the schema gives back, by format. A new format gets its own line.
    const fingerprints: Record<string, string> = {
      'pitcrew-compiled-config/1': 'a8099be6f14ce12d',
      // secrets.maxAgeSeconds at least 30 (2026-12-04).
      'pitcrew-compiled-config/2': 'bbe9b49ed8f983b6',
      // A template's `from` (2026-12-04): an older build would serve every origin.
      'pitcrew-compiled-config/3': '81ae06235db2ba19',
      // cluster.network.dnsServers (2026-12-05): where a strict template's agents may send DNS.
      'pitcrew-compiled-config/4': '6c901add76588578',
      // pollRepositories without wildcards, quantities in the API's grammar, maxLifetimeSeconds and
      // runAsUser at most 2^31-1 (2026-12-05).
      'pitcrew-compiled-config/5': '0ae68a3342659ea0',
      // sources.jenkins.tunnel refused; cluster timeouts under the provision timeout; a template's
      // runAsUser (2026-12-06).
      'pitcrew-compiled-config/6': '8600194a8bf91bcf',
      // secrets.maxAgeSeconds at most 3600 (2026-12-06).
      'pitcrew-compiled-config/7': 'c217e475bfd4e27a',
      // defaults.resources merged over the built-in values field by field (2026-12-06).
      'pitcrew-compiled-config/8': '4c9bfb01198a07d2',
    };
    const schema = JSON.stringify(z.toJSONSchema(configFileSchema, { unrepresentable: 'any', io: 'output' }));
    expect({
      format: compiledConfigFormat,
      fingerprint: createHash('sha256').update(schema).digest('hex').slice(0, 16),
    }).toEqual({ format: compiledConfigFormat, fingerprint: fingerprints[compiledConfigFormat] });
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
