import * as z from '../../schema/zod';
import { defineCiModule } from '../module';
import type { JenkinsSettings } from './config-schema';

/** Jenkins: a permanent WebSocket agent per queued build (docs/jenkins.md). */
export const jenkinsModule = defineCiModule<JenkinsSettings>()({
  name: 'jenkins',
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
