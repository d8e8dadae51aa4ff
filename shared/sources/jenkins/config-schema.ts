import * as z from '../../schema/zod';
import {
  httpUrl,
  maxBacklog,
  nonEmpty,
  secretRefSchema,
  signatureToleranceSeconds,
  webhookSecretsSchema,
  type TemplateOrigins,
} from '../config-parts';

export const jenkinsConfigSchema = z.strictObject({
  webhookSecret: webhookSecretsSchema,
  signatureToleranceSeconds,
  maxBacklog,
  url: httpUrl,
  user: nonEmpty,
  apiToken: secretRefSchema,
  tunnel: z.optional(z.string().check(z.regex(/^[^:\s]*:\d+$/, 'must be HOST:PORT'))),
  /** The reaper polls the Jenkins queue for builds whose webhook was lost. */
  pollQueue: z._default(z.boolean(), false),
});
export type JenkinsSettings = z.output<typeof jenkinsConfigSchema>;

/**
 * A template's `from` cannot hold for Jenkins: the controller hands a queued build to any agent whose
 * labels satisfy it, whichever job's build the agent was made for.
 */
export const jenkinsTemplateOrigins: TemplateOrigins<JenkinsSettings> = {
  kind: 'unenforceable',
  why: "cannot be kept for jenkins: Jenkins gives an agent any queued build its labels satisfy, whichever job's build it was made for (restrict the template's labels in Jenkins itself)",
};
