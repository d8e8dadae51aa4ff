import * as z from '../../schema/zod';
import {
  httpUrl,
  maxBacklog,
  secretRefSchema,
  signatureToleranceSeconds,
  pollListCovered,
  webhookSecretsSchema,
  type TemplateOrigins,
} from '../config-parts';
import { pipelineMatches, slugPattern } from './pipeline-pattern';
import { buildkiteRecordedOrigin } from './recorded-origin';

const slug = z.string().check(z.regex(slugPattern, 'must be a Buildkite slug (letters, digits, . _ -)'));
const pipelineEntry = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\/([A-Za-z0-9][A-Za-z0-9._-]{0,99}|\*)$/,
      'must be organization/pipeline or organization/* (Buildkite slugs)',
    ),
  );

export const buildkiteConfigSchema = z
  .strictObject({
    /** The webhook's Token (Notification Services > Webhook > Token), or a list while it is rotated. */
    webhookSecret: webhookSecretsSchema,
    signatureToleranceSeconds,
    /**
     * Accept `X-Buildkite-Token` (the token in clear text, no timestamp) besides the signed form.
     * Off by default: the token form proves nothing about when a delivery was sent.
     */
    acceptTokenHeader: z._default(z.boolean(), false),
    /** The organization slug whose webhook this is; the REST calls are made in it. */
    organization: slug,
    apiUrl: z._default(httpUrl, 'https://api.buildkite.com'),
    /**
     * A REST API access token with read_agents, write_agents and read_builds, and read_pipelines to
     * poll (docs/buildkite.md).
     */
    apiToken: secretRefSchema,
    /** The agent token the pods register with; every agent holds it (docs/buildkite.md). */
    agentToken: secretRefSchema,
    /**
     * The pipelines whose jobs may get an agent. Required: a webhook can be set to fire for all of an
     * organization's pipelines, so Pitcrew never guesses (docs/security.md).
     */
    pipelines: z
      .array(pipelineEntry)
      .check(z.minLength(1, 'list at least one organization/pipeline or organization/*')),
    /** On a public pipeline anyone's pull request could run on the agent. */
    allowPublicPipelines: z._default(z.boolean(), false),
    /** Without a signed timestamp (the token form), a scheduled job older than this is refused. */
    maxJobAgeHours: z._default(z.int().check(z.positive(), z.maximum(168)), 24),
    maxBacklog,
    /** The reaper polls these pipelines ("organization/pipeline") for scheduled jobs whose webhook was lost. */
    pollPipelines: z._default(
      z.array(
        z
          .string()
          .check(
            z.regex(
              /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
              'must be organization/pipeline',
            ),
          ),
      ),
      [],
    ),
  })
  .check(
    z.superRefine((buildkite, ctx) => {
      // One organization per section: the API token and the webhook belong to it.
      buildkite.pipelines.forEach((entry, index) => {
        if (entry.split('/')[0]?.toLowerCase() !== buildkite.organization.toLowerCase())
          ctx.addIssue({
            code: 'custom',
            path: ['pipelines', index],
            message: `'${entry}' is not in sources.buildkite.organization (${buildkite.organization})`,
          });
      });
    }),
    pollListCovered('buildkite', { poll: 'pollPipelines', allowed: 'pipelines' }, pipelineMatches),
  );
export type BuildkiteSettings = z.output<typeof buildkiteConfigSchema>;

/**
 * A template's `from`: pipelines, as `pipelines` lists them. Each agent acquires the one job the
 * delivery names (`--acquire-job`), and Pitcrew does not ask Buildkite which pipeline it is in, so
 * the pipeline is the delivery's word: kept only with signed deliveries, never the plain token.
 */
export const buildkiteTemplateOrigins: TemplateOrigins<BuildkiteSettings> = {
  kind: 'listed',
  entry: pipelineEntry,
  unenforceable: (buildkite) =>
    buildkite.acceptTokenHeader
      ? 'needs sources.buildkite.acceptTokenHeader false: a token seen once in clear text lets anyone name a kept pipeline for any job'
      : undefined,
  // The list provision judges a recorded build by again (shared/provision/kept-origin.ts).
  allowList: buildkiteRecordedOrigin.allowList,
  matches: pipelineMatches,
};
