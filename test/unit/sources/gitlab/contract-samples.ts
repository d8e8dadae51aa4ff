import { startFakeGitlab } from '../../../../infra/local/stand-ins/gitlab-api';
import type { CiContractSamples, SampleDelivery } from '../../../contracts/ci-source';

const token = 'glpat-PitcrewContractToken0123';
const webhookSecret = { value: 'gitlab-contract-webhook-secret' };

/** A Job Hook, trimmed from GitLab's documented example (webhook.test.ts has it whole). */
export const jobHook = (status: string, nowMs: number, path = 'acme/app'): SampleDelivery => ({
  headers: {
    'content-type': 'application/json',
    'x-gitlab-event': 'Job Hook',
    'x-gitlab-event-uuid': `13792a34-cac6-4fda-95a8-${status.padEnd(12, '0').slice(0, 12)}`,
  },
  body: JSON.stringify({
    object_kind: 'build',
    build_id: 1977,
    build_name: 'test',
    build_status: status,
    build_created_at: new Date(nowMs - 60_000).toISOString(),
    project_id: 380,
    project: {
      id: 380,
      web_url: `https://gitlab.example.com/${path}`,
      visibility_level: 0,
      path_with_namespace: path,
    },
  }),
});

export const gitlabContractSamples: CiContractSamples = {
  minimalConfig: { webhookSecret, apiToken: { value: token }, projects: ['acme/*'], tags: ['linux'] },
  requiredField: 'projects',
  deliveries: (nowMs) => ({
    queued: jobHook('pending', nowMs),
    started: jobHook('running', nowMs),
    completed: jobHook('success', nowMs),
  }),
  // Only acme/* is allowed.
  refused: (nowMs) => jobHook('pending', nowMs, 'mallory/app'),
  async startApi() {
    const gitlab = await startFakeGitlab({
      tokens: [token],
      projects: [{ id: 380, path: 'acme/app' }],
      defaultJobTags: ['linux'],
    });
    return {
      config: {
        webhookSecret,
        apiUrl: gitlab.url,
        apiToken: { value: token },
        projects: ['acme/*'],
        tags: ['linux'],
      },
      details: { source: 'gitlab', projectId: 380, projectPath: 'acme/app', jobId: 1977 },
      agentNames: () => gitlab.state.runners.map((runner) => runner.description),
      close: () => gitlab.close(),
    };
  },
};
