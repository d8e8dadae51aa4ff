import { defineCiApiModule } from '../define-api-module';
import { createBuildkiteSource } from './adapter';
import { buildkiteModule } from './module';

/** Buildkite's API side: agents stopped and scheduled jobs polled over the REST API (module.ts says why apart). */
export const buildkiteApiModule = defineCiApiModule(buildkiteModule, {
  name: 'buildkite',
  createAdapter: (buildkite, secretOf) =>
    createBuildkiteSource({
      organization: buildkite.organization,
      apiUrl: buildkite.apiUrl,
      apiToken: secretOf(buildkite.apiToken, 'sources.buildkite.apiToken'),
      agentToken: () => secretOf(buildkite.agentToken, 'sources.buildkite.agentToken'),
      pollPipelines: buildkite.pollPipelines,
      allowPublicPipelines: buildkite.allowPublicPipelines,
    }),
});
