import * as z from '../../schema/zod';
import {
  httpUrl,
  maxBacklog,
  nonEmpty,
  positiveInt,
  secretRefSchema,
  pollListCovered,
  webhookSecretsSchema,
  type TemplateOrigins,
} from '../config-parts';
import { repositoryMatches } from './repository-pattern';
import { githubRecordedOrigin } from './recorded-origin';

/** `owner/repo` or `owner/*`; GitHub's names are letters, digits and . _ - */
const repositoryPattern = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9._-]{1,100}\/([A-Za-z0-9._-]{1,100}|\*)$/,
      'must be owner/repo or owner/* (letters, digits, . _ -)',
    ),
  );

export const githubConfigSchema = z
  .strictObject({
    webhookSecret: webhookSecretsSchema,
    apiUrl: z._default(httpUrl, 'https://api.github.com'),
    auth: z.union(
      [
        z.strictObject({ token: secretRefSchema }),
        z.strictObject({
          app: z.strictObject({
            // YAML reads an unquoted id (`appId: 123456`, as GitHub shows it) as a number.
            appId: z.pipe(
              z.union(
                [
                  nonEmpty,
                  z.pipe(
                    positiveInt,
                    z.transform((id: number) => String(id)),
                  ),
                ],
                "must be the App's id, such as '123456'",
              ),
              nonEmpty,
            ),
            privateKey: secretRefSchema,
            installationId: z.optional(positiveInt),
          }),
        }),
      ],
      "must be one of { token: <secret reference> } or { app: { appId: '<id, quoted>', privateKey: <secret reference>, installationId?: <number> } }",
    ),
    /**
     * The repositories whose jobs may get an agent. Required: Pitcrew cannot know which repositories
     * the token or App can see, so it never guesses (docs/security.md).
     */
    repositories: z.array(repositoryPattern).check(z.minLength(1, 'list at least one owner/repo or owner/*')),
    /** On a public repository anyone's pull request can run on the agent (docs/security.md). */
    allowPublicRepositories: z._default(z.boolean(), false),
    /**
     * A queued job created longer ago than this is a replay or long stale: ignored. At most 7 days,
     * well inside the 14 days an ended request is kept, so a replay always finds its build's record.
     */
    maxJobAgeHours: z._default(positiveInt.check(z.maximum(168)), 24),
    maxBacklog,
    runnerScope: z._default(z.enum(['repo', 'org']), 'repo'),
    runnerGroupId: z._default(positiveInt, 1),
    /** The reaper polls these repositories ("owner/repo") for queued jobs whose webhook was lost. */
    pollRepositories: z._default(
      z.array(
        z
          .string()
          .check(
            z.regex(
              /^(?!\.+\/)[A-Za-z0-9._-]{1,100}\/(?!\.+$)[A-Za-z0-9._-]{1,100}$/,
              'must be owner/repo (letters, digits, . _ -): the reaper polls each repository by its name, so no wildcard',
            ),
          ),
      ),
      [],
    ),
  })
  .check(pollListCovered('github', { poll: 'pollRepositories', allowed: 'repositories' }, repositoryMatches));
export type GithubSettings = z.output<typeof githubConfigSchema>;

/**
 * A template's `from`: repositories, as `repositories` lists them. A runner made at repository scope
 * serves only its repository's jobs; one made at organization scope joins a runner group that any of
 * the group's repositories can use, so `from` cannot hold there.
 */
export const githubTemplateOrigins: TemplateOrigins<GithubSettings> = {
  kind: 'listed',
  entry: repositoryPattern,
  // The list provision judges a recorded build by again (shared/provision/kept-origin.ts).
  allowList: githubRecordedOrigin.allowList,
  matches: repositoryMatches,
  unenforceable: (github) =>
    github.runnerScope === 'org'
      ? "needs sources.github.runnerScope 'repo': an organization's runner serves any repository of its runner group, whichever job it was made for"
      : undefined,
};
