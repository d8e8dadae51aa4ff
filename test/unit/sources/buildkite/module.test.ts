import { buildkiteModule } from '../../../../shared/sources/buildkite/module';
import { buildkiteReceiverModule } from '../../../../shared/sources/buildkite/receiver-module';
import { minimalBuildkiteConfig } from './contract-samples';
import { buildkiteConfigSchema } from '../../../../shared/sources/buildkite/config-schema';

const parse = (change: Record<string, unknown>) =>
  buildkiteConfigSchema.safeParse({ ...minimalBuildkiteConfig, ...change });
const problems = (change: Record<string, unknown>) =>
  parse(change).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];

describe('Buildkite config section', () => {
  it('fills the defaults: signed deliveries only, private pipelines only, the public API', () => {
    expect(parse({}).data).toMatchObject({
      acceptTokenHeader: false,
      allowPublicPipelines: false,
      apiUrl: 'https://api.buildkite.com',
      maxJobAgeHours: 24,
      signatureToleranceSeconds: 300,
      maxBacklog: 500,
      pollPipelines: [],
    });
  });

  it('refuses pipelines of another organization, and poll entries outside the allow-list', () => {
    expect(problems({ pipelines: ['acme/app', 'mallory/app'] })).toEqual([
      "pipelines.1: 'mallory/app' is not in sources.buildkite.organization (acme)",
    ]);
    expect(problems({ pipelines: ['acme/app'], pollPipelines: ['acme/other'] })).toEqual([
      "pollPipelines.0: 'acme/other' is not among sources.buildkite.pipelines",
    ]);
  });

  it('refuses an empty allow-list, a glob, and an age over a week', () => {
    expect(problems({ pipelines: [] })[0]).toMatch(/^pipelines:/);
    expect(problems({ pipelines: ['acme/app-*'] })[0]).toMatch(/^pipelines.0:/);
    expect(problems({ maxJobAgeHours: 169 })[0]).toMatch(/^maxJobAgeHours:/);
  });

  it('lists both tokens as API secrets, the agent token as held by every agent, and apiUrl as a URL setting', () => {
    const settings = parse({}).data!;
    expect(buildkiteModule.apiSecretEntries(settings).map((entry) => entry.where)).toEqual([
      'sources.buildkite.apiToken',
      'sources.buildkite.agentToken',
    ]);
    expect(buildkiteModule.agentHeldSecretEntries?.(settings)).toEqual([
      { where: 'sources.buildkite.agentToken', ref: minimalBuildkiteConfig.agentToken },
    ]);
    expect(buildkiteModule.urlSettings).toEqual(['apiUrl']);
  });

  it('asks the receiver for the token form only when told to', () => {
    const receiver = (acceptTokenHeader: boolean) =>
      buildkiteReceiverModule.createReceiver(parse({ acceptTokenHeader }).data!, () => '', Date.now);
    expect(receiver(false).signing.kind).toBe('buildkite-signature');
    expect(receiver(true).signing.kind).toBe('buildkite-signature-or-token');
    expect(buildkiteReceiverModule.signing.kind).toBe('buildkite-signature');
  });
});
