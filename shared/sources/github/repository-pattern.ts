/** Whether `owner/repo` matches an allow-list pattern (`owner/repo` or `owner/*`); GitHub's names are not case sensitive. */
export function repositoryMatches(pattern: string, fullName: string): boolean {
  const [patternOwner, patternRepo] = pattern.toLowerCase().split('/');
  const [owner, repo] = fullName.toLowerCase().split('/');
  return patternOwner === owner && (patternRepo === '*' || patternRepo === repo);
}
