import { originOfDetails } from '../origin';
import type { SourceDetails } from '../types';
import { buildkiteModule } from './module';
import { pipelineMatches } from './pipeline-pattern';

/** A recorded Buildkite build's origin: its pipeline, as its webhook named it. */
export const buildkiteRecordedOrigin = (details: SourceDetails) =>
  originOfDetails(
    buildkiteModule.detailsSchema,
    details,
    (recorded) => `${recorded.organization}/${recorded.pipeline}`,
    pipelineMatches,
  );
