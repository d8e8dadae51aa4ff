import { parseConfig } from '../../../shared/config';
import { createSourceLoader } from '../../../shared/runtime/api-sources';
import type { SourceRegistry } from '../../../shared/sources/types';

const yaml = `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
sources:
  github:
    webhookSecret: { value: github-secret-0123456789 }
    auth: { token: { value: gh } }
    repositories: [your-org/app]
  jenkins:
    webhookSecret: { value: jenkins-secret-0123456789 }
    url: https://jenkins.example.com/
    user: pitcrew
    apiToken: { value: jt }
templates:
  - { name: gh, source: github, labels: [linux], image: busybox }
  - { name: jk, source: jenkins, labels: [linux], image: busybox }
`;

describe('createSourceLoader', () => {
  it('one CI failing to build neither blocks nor poisons a load of another at once; it builds again at the next ask, and rebuilt() holds only the built', async () => {
    const config = parseConfig(yaml);
    const values = new Map([
      ['sources.github.auth.token', ''],
      ['sources.jenkins.apiToken', 'jt'],
    ]);
    const secretOf = (_ref: unknown, where: string) => values.get(where) ?? '';
    const registry: SourceRegistry = {};
    const loader = createSourceLoader(config.sources, secretOf, registry);
    const results = await Promise.allSettled([loader.load(['github']), loader.load(['jenkins'])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(Object.keys(registry)).toEqual(['jenkins']);
    // load() of every CI: github fails again; jenkins already built, stays.
    await expect(loader.load()).rejects.toThrow(/token is empty/);
    expect(Object.keys(loader.rebuilt())).toEqual(['jenkins']);
    // The secret mended (as a refresh does): the next ask builds it.
    values.set('sources.github.auth.token', 'ghp_x');
    await loader.load(['github']);
    expect(Object.keys(registry).sort()).toEqual(['github', 'jenkins']);
  });
});
