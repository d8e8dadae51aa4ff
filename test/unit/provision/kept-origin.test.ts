import { templateSchema } from '../../../shared/config';
import { keptOutBy } from '../../../shared/provision/kept-origin';
import { queuedRecord } from '../../support/records';

const template = (fields: Record<string, unknown>) =>
  templateSchema.parse({ name: 'kept', labels: ['linux'], image: 'busybox', ...fields });

/** A recorded build of `source` with `details`, as the webhook wrote it. */
const recorded = (source: string, details: Record<string, unknown>) =>
  queuedRecord('r-1', {
    source: source as never,
    details: { source, ...details } as never,
    template: 'kept',
  });

/** The sections of a config whose allow-lists cover every origin below but `elsewhere/*`. */
const allowing = {
  github: { repositories: ['acme/*', 'other/x'] },
  gitlab: { projects: ['acme/**', 'ops/**'] },
  buildkite: { pipelines: ['acme/*'] },
  jenkins: {},
  generic: {},
} as never;

describe('keptOutBy: a template’s from, judged again on the record before an agent is made', () => {
  it.each([
    ['github', { owner: 'Acme', repo: 'Deploy' }, ['acme/deploy']],
    ['github', { owner: 'acme', repo: 'deploy', runId: 7 }, ['other/x', 'acme/*']],
    ['gitlab', { projectId: 4343, projectPath: 'Acme/Infra/Deploy', jobId: 9 }, ['acme/**']],
    ['buildkite', { organization: 'acme', pipeline: 'deploy', jobId: 'j-1' }, ['acme/deploy']],
  ])('serves a %s build from an origin its from covers (%j)', (source, details, from) => {
    expect(keptOutBy(template({ source, from }), recorded(source, details), allowing)).toBeUndefined();
  });

  it('serves any build when the template has no from', () => {
    expect(keptOutBy(template({ source: 'generic' }), recorded('generic', {}), allowing)).toBeUndefined();
  });

  it.each([
    ['github', { owner: 'acme', repo: 'app' }, ['acme/deploy'], 'acme/app'],
    ['gitlab', { projectId: 4242, projectPath: 'acme/app', jobId: 9 }, ['acme/deploy', 'ops/**'], 'acme/app'],
    ['buildkite', { organization: 'acme', pipeline: 'app', jobId: 'j-1' }, ['acme/deploy'], 'acme/app'],
  ])('leaves out a %s build from elsewhere, naming both', (source, details, from, origin) => {
    expect(keptOutBy(template({ source, from }), recorded(source, details), allowing)).toBe(
      `template 'kept' serves only builds from ${from.join(', ')}, and this build is from ${origin}`,
    );
  });

  it('fails closed: details its CI cannot read, or a CI whose records name no origin, are left out', () => {
    const unreadable = recorded('github', { owner: 'acme' });
    expect(keptOutBy(template({ source: 'github', from: ['acme/*'] }), unreadable, allowing)).toBe(
      'a build whose record names no origin is not among sources.github.repositories',
    );
    // The config refuses `from` for Jenkins; a template changed in memory is still held to it.
    const jenkins = recorded('jenkins', { controllerUrl: 'https://ci.example.com/', queueId: 1 });
    expect(keptOutBy(template({ source: 'jenkins', from: ['acme/*'] }), jenkins, allowing)).toMatch(
      /this build is from an origin its record does not name$/,
    );
  });

  it.each([
    ['github', { owner: 'elsewhere', repo: 'app' }, 'elsewhere/app', 'repositories'],
    ['gitlab', { projectId: 4242, projectPath: 'elsewhere/app', jobId: 9 }, 'elsewhere/app', 'projects'],
    ['buildkite', { organization: 'elsewhere', pipeline: 'app', jobId: 'j-1' }, 'elsewhere/app', 'pipelines'],
  ])(
    'leaves out a %s build whose origin its source no longer allows, with or without a from (the config changed since the webhook judged it)',
    (source, details, origin, key) => {
      const reason = `${origin} is not among sources.${source}.${key}`;
      expect(keptOutBy(template({ source }), recorded(source, details), allowing)).toBe(reason);
      expect(
        keptOutBy(template({ source, from: ['elsewhere/*'] }), recorded(source, details), allowing),
      ).toBe(reason);
    },
  );

  it('leaves out a build of a CI with an allow-list that the config no longer configures', () => {
    const build = recorded('github', { owner: 'acme', repo: 'app' });
    expect(keptOutBy(template({ source: 'github' }), build, {} as never)).toBe(
      'sources.github is no longer configured',
    );
  });
});
