import * as z from '../../schema/zod';
import {
  maxBacklog,
  nonEmpty,
  secretRefSchema,
  signatureToleranceSeconds,
  webhookSecretsSchema,
} from '../config-parts';

export const jenkinsConfigSchema = z.strictObject({
  webhookSecret: webhookSecretsSchema,
  signatureToleranceSeconds,
  maxBacklog,
  url: z.url(),
  user: nonEmpty,
  apiToken: secretRefSchema,
  tunnel: z.optional(z.string().check(z.regex(/^[^:\s]*:\d+$/, 'must be HOST:PORT'))),
  /** The reaper polls the Jenkins queue for builds whose webhook was lost. */
  pollQueue: z._default(z.boolean(), false),
});
export type JenkinsSettings = z.output<typeof jenkinsConfigSchema>;
