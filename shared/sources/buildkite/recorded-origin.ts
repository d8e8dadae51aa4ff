import { originOfDetails, type RecordedOrigin } from '../origin';
import type { BuildkiteSettings } from './config-schema';
import { buildkiteModule } from './module';
import { pipelineMatches } from './pipeline-pattern';

/** A recorded Buildkite build's origin: its pipeline, as its webhook named it, and the allow-list it must still be on. */
export const buildkiteRecordedOrigin: RecordedOrigin<BuildkiteSettings> = {
  of: (details) =>
    originOfDetails(
      buildkiteModule.detailsSchema,
      details,
      (recorded) => `${recorded.organization}/${recorded.pipeline}`,
      pipelineMatches,
    ),
  allowList: (buildkite) => ({ key: 'pipelines', patterns: buildkite.pipelines }),
};
