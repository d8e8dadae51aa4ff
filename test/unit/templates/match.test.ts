import { templateSchema, type AgentTemplate } from '../../../shared/config';
import { repositoryMatches } from '../../../shared/sources/github/repository-pattern';
import { originOf } from '../../../shared/sources/origin';
import { matchTemplate } from '../../../shared/templates';

const template = (fields: Record<string, unknown>): AgentTemplate =>
  templateSchema.parse({ source: 'github', ...fields });

describe('matchTemplate', () => {
  const linux = template({ name: 'linux', labels: ['self-hosted', 'linux', 'x64'] });
  const linuxBig = template({
    name: 'linux-big',
    labels: ['self-hosted', 'linux', 'x64', 'big'],
    priority: 5,
  });
  const exactArm = template({ name: 'arm', labels: ['self-hosted', 'linux', 'arm64'], match: 'exact' });
  const jenkins = template({ name: 'jk', source: 'jenkins', labels: ['linux'] });
  const all = [linux, linuxBig, exactArm, jenkins];

  it('serves a build whose labels are a subset of a template, case-insensitively', () => {
    expect(matchTemplate([linux], { source: 'github', labels: ['Self-Hosted', 'LINUX'] })).toEqual({
      kind: 'match',
      template: linux,
    });
  });

  it('prefers the higher priority when several templates match', () => {
    expect(matchTemplate(all, { source: 'github', labels: ['self-hosted', 'linux'] })).toMatchObject({
      template: { name: 'linux-big' },
    });
  });

  it('keeps config order between equal priorities', () => {
    const twin = template({ name: 'twin', labels: ['self-hosted', 'linux', 'x64'] });
    expect(matchTemplate([linux, twin], { source: 'github', labels: ['linux'] })).toMatchObject({
      template: { name: 'linux' },
    });
  });

  it('exact templates serve only the same set of labels', () => {
    expect(matchTemplate([exactArm], { source: 'github', labels: ['self-hosted', 'linux'] })).toMatchObject({
      kind: 'none',
    });
    expect(
      matchTemplate([exactArm], { source: 'github', labels: ['linux', 'arm64', 'self-hosted'] }),
    ).toMatchObject({
      template: { name: 'arm' },
    });
  });

  it('never matches a template of another source', () => {
    expect(matchTemplate([jenkins], { source: 'github', labels: ['linux'] })).toMatchObject({ kind: 'none' });
    expect(matchTemplate(all, { source: 'jenkins', labels: ['linux'] })).toMatchObject({
      template: { name: 'jk' },
    });
  });

  it('does not match a build that asks for a label no template offers, and says which', () => {
    const result = matchTemplate(all, { source: 'github', labels: ['self-hosted', 'gpu'] });
    expect(result).toEqual({
      kind: 'none',
      reason: 'no github template serves the labels [self-hosted, gpu]',
    });
  });

  it('does not take a build that asks for no labels', () => {
    expect(matchTemplate(all, { source: 'github', labels: [] })).toMatchObject({
      kind: 'none',
      reason: 'the build asks for no labels',
    });
  });

  describe("with a build's label rule (a Jenkins label expression)", () => {
    const docker = template({ name: 'docker', source: 'jenkins', labels: ['docker'] });
    const gpu = template({ name: 'gpu', source: 'jenkins', labels: ['docker', 'gpu'], priority: 9 });
    /** A rule as the Jenkins receiver builds one, over a predicate for its expression. */
    const rule = (text: string, satisfiedBy: (labels: readonly string[]) => boolean) => ({
      text: `the label expression "${text}"`,
      satisfiedBy,
    });
    const noGpu = rule('docker && !gpu', (labels) => labels.includes('docker') && !labels.includes('gpu'));

    it('passes over a template whose labels the rule refuses, however high its priority', () => {
      expect(
        matchTemplate([gpu, docker], { source: 'jenkins', labels: ['docker'], labelRule: noGpu }),
      ).toEqual({
        kind: 'match',
        template: docker,
      });
      // Without the rule the higher priority wins: the agent would carry a label the build refuses.
      expect(matchTemplate([gpu, docker], { source: 'jenkins', labels: ['docker'] })).toEqual({
        kind: 'match',
        template: gpu,
      });
    });

    it('takes a subset template that satisfies the rule through another alternative, as the Kubernetes plugin does', () => {
      const podman = template({ name: 'podman', source: 'jenkins', labels: ['linux', 'podman'] });
      const either = rule(
        'linux && (docker || podman)',
        (labels) => labels.includes('linux') && (labels.includes('docker') || labels.includes('podman')),
      );
      // The fewest labels the expression needs are [linux, docker]; the template offers the other way.
      expect(
        matchTemplate([podman], { source: 'jenkins', labels: ['linux', 'docker'], labelRule: either }),
      ).toEqual({
        kind: 'match',
        template: podman,
      });
    });

    it('still holds an exact template to the same set', () => {
      const exact = template({ name: 'exact', source: 'jenkins', labels: ['docker', 'big'], match: 'exact' });
      const bigDocker = rule(
        'docker && big',
        (labels) => labels.includes('docker') && labels.includes('big'),
      );
      const anyDocker = rule('docker', (labels) => labels.includes('docker'));
      expect(
        matchTemplate([exact], { source: 'jenkins', labels: ['docker', 'big'], labelRule: bigDocker }),
      ).toEqual({
        kind: 'match',
        template: exact,
      });
      expect(
        matchTemplate([exact], { source: 'jenkins', labels: ['docker'], labelRule: anyDocker }),
      ).toMatchObject({ kind: 'none' });
      // The same set, but refused by the rule (`docker && big && !gpu`, say): still none.
      expect(
        matchTemplate([exact], {
          source: 'jenkins',
          labels: ['docker', 'big'],
          labelRule: rule('no', () => false),
        }),
      ).toMatchObject({
        kind: 'none',
      });
    });

    it('names the expression when no template satisfies it', () => {
      expect(matchTemplate([gpu], { source: 'jenkins', labels: ['docker'], labelRule: noGpu })).toEqual({
        kind: 'none',
        reason: 'no jenkins template serves the label expression "docker && !gpu"',
      });
    });
  });

  describe("with a template's from (the origins it serves)", () => {
    const deploy = template({
      name: 'deploy',
      labels: ['self-hosted', 'linux', 'deploy'],
      from: ['acme/deploy', 'ops/*'],
      priority: 10,
    });
    const fromRepo = (name: string) => originOf(name, repositoryMatches);

    it('serves a build from an origin one of its entries covers', () => {
      for (const origin of ['acme/deploy', 'ACME/Deploy', 'ops/anything'])
        expect(
          matchTemplate([linux, deploy], { source: 'github', labels: ['linux'], origin: fromRepo(origin) }),
        ).toEqual({
          kind: 'match',
          template: deploy,
        });
    });

    it('passes over it for a build from elsewhere, however high its priority, to a template for anyone', () => {
      expect(
        matchTemplate([linux, deploy], { source: 'github', labels: ['linux'], origin: fromRepo('acme/app') }),
      ).toMatchObject({ kind: 'match', template: { name: 'linux' } });
    });

    it('serves no build from elsewhere that only it could serve, and says the origin kept it out', () => {
      expect(
        matchTemplate([linux, deploy], {
          source: 'github',
          labels: ['deploy'],
          origin: fromRepo('acme/app'),
        }),
      ).toEqual({
        kind: 'none',
        reason:
          "no github template serves the labels [deploy] from acme/app (a template's from leaves it out)",
      });
    });

    it('serves no build that names no origin (fail closed)', () => {
      expect(matchTemplate([deploy], { source: 'github', labels: ['deploy'] })).toEqual({
        kind: 'none',
        reason:
          "no github template serves the labels [deploy] from a build that names no origin (a template's from leaves it out)",
      });
    });
  });
});
