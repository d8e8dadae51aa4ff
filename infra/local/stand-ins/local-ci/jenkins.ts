import { randomBytes, randomUUID } from 'node:crypto';
import { startFakeJenkins } from '../jenkins-api';
import type { LocalCi } from '../local-ci';

const labels = ['linux'] as const;

/** Jenkins: Pitcrew's JSON contract as the QueueListener sends it, nodes at the Jenkins stand-in. */
export const jenkinsLocalCi: LocalCi<'jenkins'> = {
  name: 'jenkins',
  labels,
  // The module's default image (the inbound agent): nothing to add.
  template: {},
  delivery: (id, action, options = {}) => ({
    body: { action, job: { id, labels: [...(options.labels ?? labels)] } },
    headers: { 'x-pitcrew-delivery': options.deliveryId ?? randomUUID() },
  }),
  // The controller's URL is part of the key: the configured `url`, which is the stand-in's.
  jobKeyOf: (id, context) => `${context?.url ?? ''}#${id}`,
  stringFields: [
    ['job', 'labels', '0'],
    ['job', 'url'],
    ['queueCauses', '0', 'reasonForWaiting'],
    ['ciUrl'],
    ['data', 'why'],
    ['data', 'queueCauses', '0', 'reasonForWaiting'],
    ['build', 'fullUrl'],
  ],
  // One controller, one secret: a signed delivery is trusted.
  untrustedChanges: [],
  async start() {
    const jenkins = await startFakeJenkins({ user: 'pitcrew', apiToken: randomBytes(12).toString('hex') });
    return {
      standIn: { url: jenkins.url, description: 'a Jenkins controller' },
      context: { url: jenkins.url },
      configSection: (webhookSecret, extra = {}) => ({
        webhookSecret: { value: webhookSecret },
        url: jenkins.url,
        user: jenkins.user,
        apiToken: { value: jenkins.apiToken },
        ...extra,
      }),
      agentNames: () => [...jenkins.state.nodes.keys()],
      failFor: (forMs, failure) => jenkins.failFor(forMs, failure),
      failuresServed: () => jenkins.failuresServed(),
      close: () => jenkins.close(),
    };
  },
};
