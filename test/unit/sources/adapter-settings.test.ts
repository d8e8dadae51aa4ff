import { ciApiModules } from '../../../shared/sources/api-registry';
import { buildkiteSourceFrom } from '../../../shared/sources/buildkite/adapter';
import {
  buildkiteAdapterCalls,
  parseBuildkiteAdapterOptions,
} from '../../../shared/sources/buildkite/adapter-settings';
import { buildkiteConfigSchema } from '../../../shared/sources/buildkite/config-schema';
import { githubSourceFrom } from '../../../shared/sources/github/adapter';
import {
  githubAdapterCalls,
  parseGithubAdapterOptions,
} from '../../../shared/sources/github/adapter-settings';
import { githubConfigSchema } from '../../../shared/sources/github/config-schema';
import { gitlabSourceFrom } from '../../../shared/sources/gitlab/adapter';
import {
  gitlabAdapterCalls,
  parseGitlabAdapterOptions,
} from '../../../shared/sources/gitlab/adapter-settings';
import { gitlabConfigSchema } from '../../../shared/sources/gitlab/config-schema';
import { jenkinsSourceFrom } from '../../../shared/sources/jenkins/adapter';
import {
  jenkinsAdapterCalls,
  parseJenkinsAdapterOptions,
} from '../../../shared/sources/jenkins/adapter-settings';
import type { AdapterCalls } from '../../../shared/sources/lazy-adapter';
import type { CiSourceAdapter } from '../../../shared/sources/types';
import { minimalBuildkiteConfig } from './buildkite/contract-samples';
import { githubContractSamples } from './github/contract-samples';
import { gitlabContractSamples } from './gitlab/contract-samples';
import { generateAppKeyPair } from '../../../infra/local/stand-ins/github-api';

/**
 * Each CI's API side builds a lazy adapter (shared/sources/lazy-adapter.ts) whose optional calls come
 * from the checked settings, before the adapter's code loads: they must be the calls that code has.
 */
const cases: readonly {
  readonly ci: string;
  /** The adapter's code over checked settings, and the calls those settings promise, polling or not. */
  readonly build: (poll: boolean) => { readonly adapter: CiSourceAdapter; readonly calls: AdapterCalls };
}[] = [
  {
    ci: 'github',
    build(poll) {
      const settings = parseGithubAdapterOptions({
        auth: { kind: 'token', token: 'ghp_token' },
        pollRepositories: poll ? ['acme/app'] : [],
      });
      return { adapter: githubSourceFrom(settings), calls: githubAdapterCalls(settings) };
    },
  },
  {
    ci: 'jenkins',
    build(poll) {
      const settings = parseJenkinsAdapterOptions({
        url: 'https://jenkins.example.com',
        user: 'pitcrew',
        apiToken: 'token',
        pollQueue: poll,
      });
      return { adapter: jenkinsSourceFrom(settings), calls: jenkinsAdapterCalls(settings) };
    },
  },
  {
    ci: 'gitlab',
    build(poll) {
      const settings = parseGitlabAdapterOptions({
        token: 'glpat-token',
        tags: ['linux'],
        pollProjects: poll ? ['acme/app'] : [],
      });
      return { adapter: gitlabSourceFrom(settings), calls: gitlabAdapterCalls(settings) };
    },
  },
  {
    ci: 'buildkite',
    build(poll) {
      const settings = parseBuildkiteAdapterOptions({
        organization: 'acme',
        apiToken: 'bkua_token',
        agentToken: 'bkat_token',
        pollPipelines: poll ? ['acme/app'] : [],
      });
      return { adapter: buildkiteSourceFrom(settings), calls: buildkiteAdapterCalls(settings) };
    },
  },
];

describe.each(cases)("$ci adapter's settings", ({ build }) => {
  it.each([false, true])('promise the optional calls its code has (polling: %s)', (poll) => {
    const { adapter, calls } = build(poll);
    expect({
      isAgentBusy: adapter.isAgentBusy !== undefined,
      listQueuedBuilds: adapter.listQueuedBuilds !== undefined,
    }).toEqual(calls);
    expect(calls.listQueuedBuilds).toBe(poll);
  });
});

describe("the CIs' API sides check their settings when they build the adapter (at cold start), before its code loads", () => {
  const valueOf = (ref: unknown): string => (ref as { value: string }).value;
  /** As a secret store that holds an empty value under `emptyAt` (the config refuses an empty inline one). */
  const emptyAt =
    (emptyWhere: string) =>
    (ref: unknown, where: string): string =>
      where === emptyWhere ? '' : valueOf(ref);

  it('GitHub: an App key that is not a PEM private key, an empty token', () => {
    const app = (privateKey: string) =>
      githubConfigSchema.parse({
        ...githubContractSamples.minimalConfig,
        auth: { app: { appId: '123456', privateKey: { value: privateKey }, installationId: 7 } },
      });
    expect(() => ciApiModules.github.createAdapter(app('not a key'), valueOf)).toThrow(
      'GitHub App privateKey is not a PEM private key',
    );
    expect(ciApiModules.github.createAdapter(app(generateAppKeyPair().privateKey), valueOf).name).toBe(
      'github',
    );
    const token = githubConfigSchema.parse(githubContractSamples.minimalConfig);
    expect(() => ciApiModules.github.createAdapter(token, emptyAt('sources.github.auth.token'))).toThrow(
      'GitHub auth token is empty',
    );
  });

  it('GitLab: an empty API token', () => {
    const settings = gitlabConfigSchema.parse(gitlabContractSamples.minimalConfig);
    expect(() => ciApiModules.gitlab.createAdapter(settings, emptyAt('sources.gitlab.apiToken'))).toThrow(
      'GitLab apiToken is empty',
    );
  });

  it('Buildkite: an empty agent token', () => {
    const settings = buildkiteConfigSchema.parse(minimalBuildkiteConfig);
    expect(() =>
      ciApiModules.buildkite.createAdapter(settings, emptyAt('sources.buildkite.agentToken')),
    ).toThrow('Buildkite agentToken is empty');
  });
});
