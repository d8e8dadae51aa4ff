/**
 * Buildkite slugs: organization and pipeline slugs are lower-case letters, digits and dashes as they
 * appear in every API path (https://buildkite.com/docs/apis/rest-api/pipelines, `{org.slug}`,
 * `{pipeline.slug}`); underscores and dots are allowed too so that no real slug is refused.
 */
export const slugPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Whether `organization/pipeline` matches an allow-list entry (`org/pipeline` or `org/*`); slugs compare case-insensitively. */
export function pipelineMatches(pattern: string, fullSlug: string): boolean {
  const [patternOrg, patternPipeline] = pattern.toLowerCase().split('/');
  const [organization, pipeline] = fullSlug.toLowerCase().split('/');
  return patternOrg === organization && (patternPipeline === '*' || patternPipeline === pipeline);
}
