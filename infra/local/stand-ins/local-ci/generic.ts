import { randomUUID } from 'node:crypto';
import type { LocalCi } from '../local-ci';

const labels = ['linux'] as const;

/** Any CI, through the signed generic contract (docs/generic-webhook.md): no API to stand in for. */
export const genericLocalCi: LocalCi<'generic'> = {
  name: 'generic',
  labels,
  // Pitcrew cannot guess what runs a build of any CI: the template names an image.
  template: { image: 'busybox:1.36' },
  delivery: (id, action, options = {}) => ({
    body: { action, job: { id: `job-${id}`, labels: [...(options.labels ?? labels)] } },
    headers: { 'x-pitcrew-delivery': options.deliveryId ?? randomUUID() },
  }),
  jobKeyOf: (id) => `job-${id}`,
  stringFields: [
    ['job', 'id'],
    ['job', 'labels', '0'],
    ['job', 'url'],
  ],
  untrustedChanges: [],
  start: () =>
    Promise.resolve({
      context: {},
      configSection: (webhookSecret, extra = {}) => ({ webhookSecret: { value: webhookSecret }, ...extra }),
      agentNames: () => [],
      close: () => Promise.resolve(),
    }),
};
