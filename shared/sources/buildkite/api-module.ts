import { lazyAdapter } from '../lazy-adapter';
import { defineCiApiModule } from '../module';
import { buildkiteAdapterCalls, parseBuildkiteAdapterOptions } from './adapter-settings';
import { buildkiteModule } from './module';

/**
 * Buildkite's API side: agents stopped and scheduled jobs polled over the REST API (module.ts says
 * why apart). The settings are checked here, at cold start; the adapter's code loads on its first
 * call (../lazy-adapter.ts).
 */
export const buildkiteApiModule = defineCiApiModule(buildkiteModule, {
  name: 'buildkite',
  createAdapter(buildkite, secretOf) {
    const settings = parseBuildkiteAdapterOptions({
      organization: buildkite.organization,
      apiUrl: buildkite.apiUrl,
      apiToken: secretOf(buildkite.apiToken, 'sources.buildkite.apiToken'),
      agentToken: secretOf(buildkite.agentToken, 'sources.buildkite.agentToken'),
      pollPipelines: buildkite.pollPipelines,
      allowPublicPipelines: buildkite.allowPublicPipelines,
    });
    return lazyAdapter('buildkite', buildkiteAdapterCalls(settings), async () =>
      (await import('./adapter')).buildkiteSourceFrom(settings),
    );
  },
});
