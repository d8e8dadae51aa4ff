import { defineCiReceiverModule } from '../module';
import { buildkiteSigning } from './signing';
import { createBuildkiteWebhookReceiver } from './webhook';
import { buildkiteModule } from './module';
import { buildkiteRefusalReasons } from './refusal-reasons';

/** The webhook side of buildkite: its receiver, from settings alone (registered in shared/sources/receiver-registry.ts). */
export const buildkiteReceiverModule = defineCiReceiverModule(buildkiteModule, {
  name: 'buildkite',
  createReceiver: (buildkite, _secrets, now) =>
    createBuildkiteWebhookReceiver({
      organization: buildkite.organization,
      pipelines: buildkite.pipelines,
      allowPublicPipelines: buildkite.allowPublicPipelines,
      maxJobAgeHours: buildkite.maxJobAgeHours,
      signatureToleranceSeconds: buildkite.signatureToleranceSeconds,
      acceptTokenHeader: buildkite.acceptTokenHeader,
      now,
    }),
  signing: buildkiteSigning(),
  refusalReasons: buildkiteRefusalReasons,
});
