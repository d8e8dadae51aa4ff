import { templateSchema, type AgentTemplate } from '../../../shared/config';
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
    expect(matchTemplate([linux], 'github', ['Self-Hosted', 'LINUX'])).toEqual({
      kind: 'match',
      template: linux,
    });
  });

  it('prefers the higher priority when several templates match', () => {
    expect(matchTemplate(all, 'github', ['self-hosted', 'linux'])).toMatchObject({
      template: { name: 'linux-big' },
    });
  });

  it('keeps config order between equal priorities', () => {
    const twin = template({ name: 'twin', labels: ['self-hosted', 'linux', 'x64'] });
    expect(matchTemplate([linux, twin], 'github', ['linux'])).toMatchObject({ template: { name: 'linux' } });
  });

  it('exact templates serve only the same set of labels', () => {
    expect(matchTemplate([exactArm], 'github', ['self-hosted', 'linux'])).toMatchObject({ kind: 'none' });
    expect(matchTemplate([exactArm], 'github', ['linux', 'arm64', 'self-hosted'])).toMatchObject({
      template: { name: 'arm' },
    });
  });

  it('never matches a template of another source', () => {
    expect(matchTemplate([jenkins], 'github', ['linux'])).toMatchObject({ kind: 'none' });
    expect(matchTemplate(all, 'jenkins', ['linux'])).toMatchObject({ template: { name: 'jk' } });
  });

  it('does not match a build that asks for a label no template offers, and says which', () => {
    const result = matchTemplate(all, 'github', ['self-hosted', 'gpu']);
    expect(result).toEqual({
      kind: 'none',
      reason: 'no github template serves the labels [self-hosted, gpu]',
    });
  });

  it('does not take a build that asks for no labels', () => {
    expect(matchTemplate(all, 'github', [])).toMatchObject({
      kind: 'none',
      reason: 'the build asks for no labels',
    });
  });

  describe("with a build's label rule (a Jenkins label expression)", () => {
    const docker = template({ name: 'docker', source: 'jenkins', labels: ['docker'] });
    const gpu = template({ name: 'gpu', source: 'jenkins', labels: ['docker', 'gpu'], priority: 9 });
    /** `docker && !gpu`, as the Jenkins receiver builds it. */
    const noGpu = {
      text: 'the label expression "docker && !gpu"',
      satisfiedBy: (labels: readonly string[]) => labels.includes('docker') && !labels.includes('gpu'),
    };

    it('passes over a template whose labels the rule refuses, however high its priority', () => {
      expect(matchTemplate([gpu, docker], 'jenkins', ['docker'], noGpu)).toEqual({
        kind: 'match',
        template: docker,
      });
      // Without the rule the higher priority wins: the agent would carry a label the build refuses.
      expect(matchTemplate([gpu, docker], 'jenkins', ['docker'])).toEqual({ kind: 'match', template: gpu });
    });

    it('says what the build asks when the rule refused every template that offers its labels', () => {
      expect(matchTemplate([gpu], 'jenkins', ['docker'], noGpu)).toEqual({
        kind: 'none',
        reason: 'no jenkins template serves the labels [docker] and the label expression "docker && !gpu"',
      });
      // No template offered the labels at all: the rule is not what stopped it.
      expect(matchTemplate([gpu], 'jenkins', ['arm'], noGpu)).toEqual({
        kind: 'none',
        reason: 'no jenkins template serves the labels [arm]',
      });
    });
  });
});
