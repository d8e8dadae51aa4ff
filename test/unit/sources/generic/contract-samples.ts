import type { CiContractSamples, SampleDelivery } from '../../../contracts/ci-source';

/** The signed contract of docs/generic-webhook.md. */
const delivery = (action: string): SampleDelivery => ({
  headers: { 'content-type': 'application/json', 'x-pitcrew-delivery': `build-42-${action}` },
  body: JSON.stringify({
    action,
    job: { id: 'build-42', labels: ['linux'], url: 'https://ci.example.com/build/42' },
  }),
});

/** The generic source has no API to call: the contract's API part does not apply. */
export const genericContractSamples: CiContractSamples = {
  minimalConfig: { webhookSecret: { value: 'generic-contract-webhook-secret' } },
  requiredField: 'webhookSecret',
  deliveries: () => ({
    queued: delivery('queued'),
    started: delivery('started'),
    completed: delivery('completed'),
  }),
};
