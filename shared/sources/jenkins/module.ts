import * as z from '../../schema/zod';
import {
  maxBacklog,
  nonEmpty,
  secretRefSchema,
  signatureToleranceSeconds,
  webhookSecretsSchema,
} from '../config-parts';
import { lazily } from '../../schema/lazily';
import { defineCiModule } from '../module';

const jenkinsSchema = lazily(() =>
  z.strictObject({
    webhookSecret: webhookSecretsSchema,
    signatureToleranceSeconds,
    maxBacklog,
    url: z.url(),
    user: nonEmpty,
    apiToken: secretRefSchema,
    tunnel: z.optional(z.string().check(z.regex(/^[^:\s]*:\d+$/, 'must be HOST:PORT'))),
    /** The reaper polls the Jenkins queue for builds whose webhook was lost. */
    pollQueue: z._default(z.boolean(), false),
  }),
);
export type JenkinsSettings = z.output<ReturnType<typeof jenkinsSchema>>;

/** Jenkins: a permanent WebSocket agent per queued build (docs/jenkins.md). */
export const jenkinsModule = defineCiModule({
  name: 'jenkins',
  // Built on first use: only a YAML config is parsed with it (shared/schema/lazily.ts).
  get configSchema() {
    return jenkinsSchema();
  },
  urlSettings: ['url'],
  apiSecretEntries: (jenkins) => [{ where: 'sources.jenkins.apiToken', ref: jenkins.apiToken }],
  detailsSchema: z.object({
    source: z.literal('jenkins'),
    controllerUrl: z.string(),
    queueItemId: z.number(),
    label: z.string(),
  }),
  podDefaults: { image: 'jenkins/inbound-agent:latest' },
  // A Jenkins agent stays connected after its build: it goes only once idle.
  agentsOutliveBuilds: true,
  // Jenkins finds an agent by its name alone.
  deregistrationDetails: () => ({ source: 'jenkins', controllerUrl: '', queueItemId: 0, label: '' }),
  refusalReasons: [],
});
