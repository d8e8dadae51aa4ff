import * as v from '../../schema/valibot';
import { defineCiModule } from '../module';
import type { JenkinsSettings } from './config-schema';

/** Jenkins: a permanent WebSocket agent per queued build (docs/jenkins.md). */
export const jenkinsModule = defineCiModule<JenkinsSettings>()({
  name: 'jenkins',
  urlSettings: ['url'],
  apiSecretEntries: (jenkins) => [{ where: 'sources.jenkins.apiToken', ref: jenkins.apiToken }],
  detailsSchema: v.object({
    source: v.literal('jenkins'),
    controllerUrl: v.string(),
    queueItemId: v.number(),
    label: v.string(),
  }),
  podDefaults: { image: 'jenkins/inbound-agent:latest' },
  // A Jenkins agent stays connected after its build: it goes only once idle.
  agentsOutliveBuilds: true,
  // Jenkins finds an agent by its name alone.
  deregistrationDetails: () => ({ source: 'jenkins', controllerUrl: '', queueItemId: 0, label: '' }),
});
