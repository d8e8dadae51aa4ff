/** Why the Buildkite receiver refuses a signed job (trust.ts), the RefusedJobs metric's `reason`. */
export const buildkiteRefusalReasons = [
  'organization-not-allowed',
  'pipeline-not-allowed',
  'public-pipeline',
  'visibility-unknown',
  'fork-pull-request',
  'job-too-old',
] as const;
