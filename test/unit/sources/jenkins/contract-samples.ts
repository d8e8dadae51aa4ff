import { readFileSync } from 'node:fs';
import { startFakeJenkins } from '../../../../infra/local/stand-ins/jenkins-api';
import type { CiContractSamples, SampleDelivery } from '../../../contracts/ci-source';

const apiToken = '11f0c0ffee2bd3a4d5e6f708192a3b4c5d';

/** The JSON contract the QueueListener script of docs/jenkins.md posts (test/fixtures/jenkins). */
const queued = JSON.parse(readFileSync('test/fixtures/jenkins/generic-queued.json', 'utf8')) as {
  headers: Record<string, string>;
  body: { action: string; job: Record<string, unknown> };
};
const delivery = (action: string): SampleDelivery => ({
  headers: { ...queued.headers, 'x-pitcrew-delivery': `${queued.headers['x-pitcrew-delivery']}-${action}` },
  body: JSON.stringify({ ...queued.body, action }),
});

export const jenkinsContractSamples: CiContractSamples = {
  minimalConfig: {
    webhookSecret: { value: 'jenkins-contract-webhook-secret' },
    url: 'https://jenkins.example.com/',
    user: 'pitcrew',
    apiToken: { value: apiToken },
  },
  requiredField: 'url',
  deliveries: () => ({
    queued: delivery('queued'),
    started: delivery('started'),
    completed: delivery('completed'),
  }),
  async startApi() {
    const jenkins = await startFakeJenkins({ user: 'pitcrew', apiToken });
    return {
      config: {
        webhookSecret: { value: 'jenkins-contract-webhook-secret' },
        url: jenkins.url,
        user: 'pitcrew',
        apiToken: { value: apiToken },
        pollQueue: true,
      },
      details: { source: 'jenkins', controllerUrl: jenkins.url, queueItemId: 25, label: 'linux' },
      agentNames: () => [...jenkins.state.nodes.keys()],
      queueJob() {
        // What a queue item waiting for an agent says (test/unit/sources/jenkins/queue-why.test.ts).
        jenkins.state.queue.push({ id: 77, why: 'Waiting for next available executor on ‘linux’' });
        return { jobKey: `${jenkins.url}#77` };
      },
      close: () => jenkins.close(),
    };
  },
};
