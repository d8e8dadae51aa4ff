import * as z from '../../schema/zod';
import {
  maxBacklog,
  secretRefSchema,
  signatureToleranceSeconds,
  webhookSecretsSchema,
} from '../config-parts';
import { lazily } from '../../schema/lazily';
import { defineCiModule } from '../module';

const genericSchema = lazily(() =>
  z.strictObject({
    webhookSecret: webhookSecretsSchema,
    signatureToleranceSeconds,
    maxBacklog,
    agentToken: z.optional(secretRefSchema),
  }),
);
export type GenericSettings = z.output<ReturnType<typeof genericSchema>>;

/** Any CI, through the signed contract of contract.ts (docs/generic-webhook.md). */
export const genericModule = defineCiModule({
  name: 'generic',
  // Built on first use: only a YAML config is parsed with it (shared/schema/lazily.ts).
  get configSchema() {
    return genericSchema();
  },
  urlSettings: [],
  apiSecretEntries: (generic) =>
    generic.agentToken ? [{ where: 'sources.generic.agentToken', ref: generic.agentToken }] : [],
  agentHeldSecretEntries: (generic) =>
    generic.agentToken ? [{ where: 'sources.generic.agentToken', ref: generic.agentToken }] : [],
  detailsSchema: z.object({ source: z.literal('generic') }),
  // No image: Pitcrew cannot guess what runs a build of any CI, so each template names one.
  podDefaults: {},
  agentsOutliveBuilds: false,
  refusalReasons: [],
});
