import * as z from '../../schema/zod';
import {
  httpUrl,
  maxBacklog,
  positiveInt,
  secretRefSchema,
  pollListCovered,
  webhookSecretsSchema,
  type TemplateOrigins,
} from '../config-parts';
import { isProjectPath, isProjectPattern, projectPathRule, projectPatternRule } from './project-path';
import { projectMatches } from './project-match';
import { gitlabRecordedOrigin } from './recorded-origin';

const projectPathSchema = z.string().check(z.maxLength(2048), z.refine(isProjectPath, projectPathRule));
const projectPatternSchema = z
  .string()
  .check(z.maxLength(2048), z.refine(isProjectPattern, projectPatternRule));

/** A runner tag (https://docs.gitlab.com/ci/yaml/#tags): no commas, which GitLab splits tag lists on. */
const tagSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(255),
    z.regex(/^[^,\s][^,]*$/, 'must be a tag without commas or leading spaces'),
  );

export const gitlabConfigSchema = z
  .strictObject({
    webhookSecret: webhookSecretsSchema,
    /** The instance URL: runners connect to it, the REST API is at <apiUrl>/api/v4. */
    apiUrl: z._default(httpUrl, 'https://gitlab.com'),
    /** An access token with the create_runner, manage_runner and read_api scopes (docs/gitlab.md). */
    apiToken: secretRefSchema,
    /**
     * The projects whose jobs may get a runner. Required: Pitcrew cannot know which projects a
     * webhook covers (a group webhook covers every project of the group), so it never guesses.
     */
    projects: z
      .array(projectPatternSchema)
      .check(z.minLength(1, 'list at least one group/project, group/* or group/**')),
    /** On a public project anyone's merge request pipeline can run on the runner (docs/security.md). */
    allowPublicProjects: z._default(z.boolean(), false),
    /**
     * The job tags this source serves. GitLab's Job Hook does not carry a job's tags, so every job of
     * an allowed project is taken as asking for these (they pick the template); the adapter reads
     * the job's real tags before making a runner, and refuses a job whose tags are not all here.
     */
    tags: z.array(tagSchema).check(z.minLength(1, 'list at least one tag'), z.maxLength(50)),
    /**
     * A pending job created longer ago than this is a replay or long stale: refused. GitLab's token
     * proves no time. At most 7 days, well inside the 14 days an ended request is kept.
     */
    // A week by default, not GitHub's day: `build_created_at` is when the pipeline made the job, so a
    // manual or delayed job played days later is still pending and new. The token proves no time, but
    // a replay cannot get a runner either way: the adapter reads the job live and serves only a
    // pending one (adapter.ts).
    maxJobAgeHours: z._default(positiveInt.check(z.maximum(168)), 168),
    maxBacklog,
    /** The reaper polls these projects (full paths) for pending jobs whose webhook was lost. */
    pollProjects: z._default(z.array(projectPathSchema).check(z.maxLength(100)), []),
  })
  .check(pollListCovered('gitlab', { poll: 'pollProjects', allowed: 'projects' }, projectMatches));
export type GitlabSettings = z.output<typeof gitlabConfigSchema>;

/** A template's `from`: projects, as `projects` lists them. Each runner is made for its job's project alone. */
export const gitlabTemplateOrigins: TemplateOrigins<GitlabSettings> = {
  kind: 'listed',
  entry: projectPatternSchema,
  // The list provision judges a recorded build by again (shared/provision/kept-origin.ts).
  allowList: gitlabRecordedOrigin.allowList,
  matches: projectMatches,
};
