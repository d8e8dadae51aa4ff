import * as v from '../../schema/valibot';

/**
 * GitHub owner and repository names as Pitcrew takes them: the receiver reads them from deliveries,
 * the adapter from `pollRepositories` when it is built, and polling from the API's answers.
 */

// Owner and repository end up in REST paths. GitHub allows letters, digits, '-', '_' and '.';
// a name of only dots would be resolved away as a path segment, so it is refused.
export const pathSafeName = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be letters, digits and . _ - only'),
  v.check((name) => !/^\.+$/.test(name), 'must not be only dots'),
);

/** A repository whose queued jobs are polled, from a `pollRepositories` entry. */
export interface PollRepository {
  readonly owner: string;
  readonly repo: string;
}

/**
 * Parses an "owner/repo" entry with the rules webhook names follow (they end up in REST paths).
 * Throws, so a bad entry fails when the adapter is built, not on the first poll.
 */
export function parsePollRepository(entry: string): PollRepository {
  const [owner = '', repo = '', ...rest] = entry.split('/');
  const valid =
    rest.length === 0 && v.safeParse(pathSafeName, owner).success && v.safeParse(pathSafeName, repo).success;
  if (!valid) throw new Error(`GitHub pollRepositories entry "${entry}" is not "owner/repo"`);
  return { owner, repo };
}
