import { startFakeGithub } from '../../../../infra/local/stand-ins/github-api';
import type { CiContractSamples, SampleDelivery } from '../../../contracts/ci-source';

const token = 'ghp_PitcrewContractToken0123456789abcdefAB';

/** A workflow_job delivery, trimmed from GitHub's documented examples (webhook.test.ts has them whole). */
const workflowJob = (action: string, nowMs: number, owner = 'acme'): SampleDelivery => ({
  headers: {
    'content-type': 'application/json',
    'x-github-event': 'workflow_job',
    'x-github-delivery': `72d3162e-cc78-11e3-81ab-${action.padEnd(12, '0').slice(0, 12)}`,
  },
  body: JSON.stringify({
    action,
    workflow_job: {
      id: 289782451,
      run_id: 2202229078,
      html_url: `https://github.com/${owner}/app/runs/1291536064`,
      status: action,
      conclusion: action === 'completed' ? 'success' : null,
      created_at: new Date(nowMs - 60_000).toISOString(),
      labels: ['self-hosted', 'linux'],
    },
    repository: { name: 'app', full_name: `${owner}/app`, private: true, owner: { login: owner } },
  }),
});

export const githubContractSamples: CiContractSamples = {
  minimalConfig: {
    webhookSecret: { value: 'github-contract-webhook-secret' },
    auth: { token: { value: token } },
    repositories: ['acme/*'],
  },
  requiredField: 'repositories',
  deliveries: (nowMs) => ({
    queued: workflowJob('queued', nowMs),
    started: workflowJob('in_progress', nowMs),
    completed: workflowJob('completed', nowMs),
  }),
  // Only acme/* is allowed.
  refused: (nowMs) => workflowJob('queued', nowMs, 'mallory'),
  async startApi() {
    const github = await startFakeGithub({ tokens: [token] });
    return {
      config: {
        webhookSecret: { value: 'github-contract-webhook-secret' },
        apiUrl: github.url,
        auth: { token: { value: token } },
        repositories: ['acme/*'],
        pollRepositories: ['acme/app'],
      },
      details: { source: 'github', owner: 'acme', repo: 'app' },
      agentNames: () => github.state.runners.map((runner) => runner.name),
      queueJob() {
        github.state.workflowRuns.push({
          id: 9001,
          owner: 'acme',
          repo: 'app',
          status: 'queued',
          jobs: [{ id: 9002, status: 'queued', labels: ['self-hosted', 'linux'] }],
        });
        return { jobKey: '9002' };
      },
      close: () => github.close(),
    };
  },
};
