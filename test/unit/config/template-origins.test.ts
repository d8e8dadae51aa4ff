import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { parseConfig } from '../../../shared/config';
import { configProblemsOf } from '../../support/config-problems';

/** The example config as shipped, with `edit` applied to its parsed YAML (`templates`, `sources`). */
function exampleWith(
  edit: (config: {
    templates: Record<string, unknown>[];
    sources: Record<string, Record<string, unknown>>;
  }) => void,
): string {
  const document = parseDocument(readFileSync('infra/pitcrew.example.yaml', 'utf8'));
  const config = document.toJS() as Parameters<typeof edit>[0];
  edit(config);
  return JSON.stringify(config);
}

const withFrom = (source: string, from: unknown) =>
  exampleWith((config) => {
    const template = config.templates.find((candidate) => candidate.source === source);
    if (!template) throw new Error(`the example has no ${source} template`);
    template.from = from;
  });

const problemsOf = configProblemsOf;

const templateIndex = (source: string): number =>
  parseConfig(exampleWith(() => undefined)).templates.findIndex((template) => template.source === source);

describe("a template's from", () => {
  it.each([
    ['github', ['your-org/deploy', 'your-org/*']],
    ['gitlab', ['your-group/deploy', 'your-group/infra/*', 'your-group/**']],
    ['buildkite', ['your-org/deploy', 'your-org/*']],
  ])('takes %s origins in the form its allow-list takes them', (source, from) => {
    const config = parseConfig(withFrom(source, from));
    expect(config.templates[templateIndex(source)]?.from).toEqual(from);
  });

  it('is optional: without it a template serves any origin its source allows', () => {
    expect(parseConfig(exampleWith(() => undefined)).templates.map((template) => template.from)).toContain(
      undefined,
    );
  });

  /** An origin each source's section in the example allows (`your-org/*`, `your-group/*`). */
  const allowedOrigin: Record<string, string> = {
    github: 'your-org/deploy',
    gitlab: 'your-group/deploy',
    buildkite: 'your-org/deploy',
  };

  it.each([
    ['github', 'your-org', 'must be owner/repo or owner/* (letters, digits, . _ -)'],
    ['gitlab', 'deploy', 'must be group/project, group/* or group/** (letters, digits, _ . -)'],
    ['buildkite', 'your-org/*/x', 'must be organization/pipeline or organization/* (Buildkite slugs)'],
  ])(
    'refuses a %s entry not in its allow-list form, naming it and nothing beside it',
    (source, entry, rule) => {
      expect(problemsOf(withFrom(source, [allowedOrigin[source], entry]))).toEqual([
        `pitcrew.yaml: templates.${templateIndex(source)}.from.1: ${rule}`,
      ]);
    },
  );

  it.each([
    ['github', 'other-org/deploy', 'repositories'],
    ['gitlab', 'other-group/deploy', 'projects'],
    ['buildkite', 'other-org/deploy', 'pipelines'],
  ])(
    'refuses a %s origin its allow-list leaves out (no build from it is ever taken)',
    (source, entry, key) => {
      expect(problemsOf(withFrom(source, [allowedOrigin[source], entry]))).toEqual([
        `pitcrew.yaml: templates.${templateIndex(source)}.from.1: '${entry}' is not among sources.${source}.${key}: no build from it is ever taken`,
      ]);
    },
  );

  it('takes a wildcard entry that shares its group with the allow-list, and refuses one that shares nothing', () => {
    const withGitlab = (from: string[]) =>
      exampleWith((config) => {
        config.sources.gitlab!.projects = ['your-group/app', 'your-group/infra/**'];
        config.templates.find((template) => template.source === 'gitlab')!.from = from;
      });
    expect(problemsOf(withGitlab(['your-group/**', 'Your-Group/infra/deploy/*', 'your-group/*']))).toEqual(
      [],
    );
    expect(problemsOf(withGitlab(['your-group/*', 'other-group/**']))).toEqual([
      `pitcrew.yaml: templates.${templateIndex('gitlab')}.from.1: 'other-group/**' is not among sources.gitlab.projects: no build from it is ever taken`,
    ]);
    expect(problemsOf(withFrom('github', ['other-org/*']))).toEqual([
      `pitcrew.yaml: templates.${templateIndex('github')}.from.0: 'other-org/*' is not among sources.github.repositories: no build from it is ever taken`,
    ]);
  });

  it('refuses an empty list', () => {
    expect(problemsOf(withFrom('github', []))).toEqual([
      `pitcrew.yaml: templates.${templateIndex('github')}.from: list at least one origin`,
    ]);
  });

  it.each([
    ['jenkins', /cannot be kept for jenkins: Jenkins gives an agent any queued build its labels satisfy/],
    ['generic', /cannot be kept for generic: a generic delivery names no repository or project/],
  ])('is refused for %s, whose agents Pitcrew cannot keep to one origin', (source, why) => {
    expect(problemsOf(withFrom(source, ['your-org/deploy']))).toEqual([
      expect.stringMatching(
        new RegExp(`^pitcrew.yaml: templates.${templateIndex(source)}.from: ${why.source}`),
      ),
    ]);
  });

  it("is refused for Buildkite while the plain token is accepted: the delivery's pipeline is its word alone", () => {
    const text = exampleWith((config) => {
      config.sources.buildkite!.acceptTokenHeader = true;
      config.templates.find((template) => template.source === 'buildkite')!.from = ['your-org/deploy'];
    });
    expect(problemsOf(text)).toEqual([
      `pitcrew.yaml: templates.${templateIndex('buildkite')}.from: needs sources.buildkite.acceptTokenHeader false: a token seen once in clear text lets anyone name a kept pipeline for any job`,
    ]);
  });

  it('is refused for GitHub runners made at organization scope, which any repository of the group can use', () => {
    // The example as shipped keeps gh-deploy to one repository; with runnerScope org that cannot hold.
    const shipped = parseConfig(exampleWith(() => undefined)).templates;
    const keptIndex = shipped.findIndex((template) => template.from !== undefined);
    expect(shipped[keptIndex]).toMatchObject({ source: 'github', from: ['your-org/deploy'] });
    const text = exampleWith((config) => {
      config.sources.github!.runnerScope = 'org';
    });
    expect(problemsOf(text)).toEqual([
      `pitcrew.yaml: templates.${keptIndex}.from: needs sources.github.runnerScope 'repo': an organization's runner serves any repository of its runner group, whichever job it was made for`,
    ]);
  });
});
