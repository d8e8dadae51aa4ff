import * as v from '../../schema/valibot';
import { defineCiModule } from '../module';
import type { GenericSettings } from './config-schema';

/** Any CI, through the signed contract of contract.ts (docs/generic-webhook.md). */
export const genericModule = defineCiModule<GenericSettings>()({
  name: 'generic',
  urlSettings: [],
  apiSecretEntries: (generic) =>
    generic.agentToken ? [{ where: 'sources.generic.agentToken', ref: generic.agentToken }] : [],
  agentHeldSecretEntries: (generic) =>
    generic.agentToken ? [{ where: 'sources.generic.agentToken', ref: generic.agentToken }] : [],
  detailsSchema: v.object({ source: v.literal('generic') }),
  // No image: Pitcrew cannot guess what runs a build of any CI, so each template names one.
  podDefaults: {},
  agentsOutliveBuilds: false,
});
