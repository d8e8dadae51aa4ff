import * as v from '../../schema/valibot';
import { defineCiModule } from '../module';
import type { BuildkiteSettings } from './config-schema';

/** Buildkite: one agent per scheduled job, bound to it with --acquire-job (docs/buildkite.md). */
export const buildkiteModule = defineCiModule<BuildkiteSettings>()({
  name: 'buildkite',
  urlSettings: ['apiUrl'],
  apiSecretEntries: (buildkite) => [
    { where: 'sources.buildkite.apiToken', ref: buildkite.apiToken },
    { where: 'sources.buildkite.agentToken', ref: buildkite.agentToken },
  ],
  // Every pod gets the agent token: a webhook secret equal to it would let a build forge webhooks.
  agentHeldSecretEntries: (buildkite) => [
    { where: 'sources.buildkite.agentToken', ref: buildkite.agentToken },
  ],
  detailsSchema: v.object({
    source: v.literal('buildkite'),
    organization: v.string(),
    pipeline: v.string(),
    buildNumber: v.optional(v.number()),
    jobId: v.string(),
  }),
  // https://buildkite.com/docs/agent/v3/docker: buildkite/agent:3 follows the v3 agent without
  // breaking changes; its binary starts with `start` and reads BUILDKITE_AGENT_* settings from env.
  podDefaults: { image: 'buildkite/agent:3', command: ['buildkite-agent', 'start'] },
  // --acquire-job runs the one job and disconnects (https://buildkite.com/docs/agent/v3/cli-start#acquire-job).
  agentsOutliveBuilds: false,
  // The adapter finds a still-connected agent by its name in the configured organization.
  deregistrationDetails: () => ({ source: 'buildkite', organization: '', pipeline: '', jobId: '' }),
});
