/** Why the GitLab receiver refuses a signed job (trust.ts), the RefusedJobs metric's `reason`. */
export const gitlabRefusalReasons = [
  'project-not-allowed',
  'public-project',
  'visibility-unknown',
  'job-too-old',
] as const;
