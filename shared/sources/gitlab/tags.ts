/**
 * GitLab runs a job on a runner only when the runner has every tag the job lists
 * (https://docs.gitlab.com/ci/yaml/#tags), and a runner made with `run_untagged: false` takes no
 * untagged job. So this source serves a job when it lists at least one tag and all of them are among
 * the configured `tags`. Compared without regard to case, as templates compare labels.
 */
export function servesTags(configured: readonly string[], jobTags: readonly string[]): boolean {
  const offered = new Set(configured.map((tag) => tag.trim().toLowerCase()));
  return jobTags.length > 0 && jobTags.every((tag) => offered.has(tag.trim().toLowerCase()));
}
