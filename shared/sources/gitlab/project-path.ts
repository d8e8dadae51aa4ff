import * as v from '../../schema/valibot';

/**
 * GitLab project paths (`group/subgroup/project`) and the allow-list patterns that name them.
 *
 * A group or project slug contains only letters, digits, `_`, `.` and `-`, and starts with a letter or
 * digit (https://docs.gitlab.com/user/reserved_names/#rules-for-usernames-project-and-group-names-and-slugs);
 * a leading `_` is accepted too, for paths made before that rule. Paths end up in REST paths (URL
 * encoded), so anything else is refused where it enters rather than escaped later.
 */
const segment = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
// GitLab's own bound: a group has at most 20 ancestors (`Group::NUMBER_OF_ANCESTORS_ALLOWED`), so a
// project's path has at most 21 groups and the project. A deeper path cannot be GitLab's.
const maxSegments = 22;

export const isProjectPath = (path: string): boolean => {
  const parts = path.split('/');
  return parts.length >= 2 && parts.length <= maxSegments && parts.every((part) => segment.test(part));
};

export const projectPathRule = 'must be a GitLab project path, group/project (letters, digits, _ . -)';
export const projectPatternRule = 'must be group/project, group/* or group/** (letters, digits, _ . -)';

/**
 * A full project path, as `project.path_with_namespace` gives it, read from a delivery or an API
 * answer. The config's entries are checked by the same rule (./config-schema.ts).
 */
export const projectPathSchema = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.check(isProjectPath, projectPathRule),
);

/**
 * `group/project`, `group/*` (the projects directly in a group) or `group/**` (every project in a group
 * and its subgroups, at any depth). The group part may itself be a subgroup path.
 */
export function isProjectPattern(pattern: string): boolean {
  const parts = pattern.split('/');
  const last = parts.at(-1);
  if (last === '*' || last === '**') {
    const group = parts.slice(0, -1);
    return group.length >= 1 && group.length < maxSegments && group.every((part) => segment.test(part));
  }
  return isProjectPath(pattern);
}
