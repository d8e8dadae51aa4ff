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
  /**
   * Refused, not passed on: the agents connect over WebSocket through `url` (JENKINS_WEB_SOCKET), and
   * the inbound agent refuses `-tunnel` with `-webSocket` (remoting's Launcher), so every agent
   * exited at start. Kept as a key to say so, rather than "unrecognized key".
   */
  tunnel: z.optional(
    z.never({
      error:
        "cannot be used: Pitcrew's Jenkins agents connect over WebSocket through url, and the inbound agent refuses -tunnel with -webSocket (remove tunnel; the agents need only url)",
    }),
  ),
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
