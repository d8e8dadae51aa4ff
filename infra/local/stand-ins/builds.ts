import { randomUUID } from 'node:crypto';
import { requestIdFor } from '../../../shared/requests';
import type { CiSource } from '../../../shared/sources';

/** What a CI says about a build, as one of the three sources sends it. */
export type BuildAction = 'queued' | 'started' | 'completed' | 'cancelled';

export interface Delivery {
  readonly source: CiSource;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

/** One build at one CI: a number unique within the test, so every source can use it as its job id. */
export interface Build {
  readonly source: CiSource;
  readonly id: number;
}

/** The jobKey the source's adapter derives, so tests can find the request. */
export function jobKeyOf(build: Build, jenkinsUrl: string): string {
  if (build.source === 'jenkins') return `${jenkinsUrl}#${build.id}`;
  return build.source === 'generic' ? `job-${build.id}` : String(build.id);
}

export const requestIdOf = (build: Build, jenkinsUrl: string): string =>
  requestIdFor(build.source, jobKeyOf(build, jenkinsUrl));

const labelsFor: Record<CiSource, string[]> = {
  github: ['self-hosted', 'linux', 'x64'],
  jenkins: ['linux'],
  generic: ['linux'],
};

/**
 * The webhook a CI sends when a build changes state, with a fresh delivery id unless one is given:
 * GitHub `workflow_job` (queued, in_progress, completed with a conclusion), the Jenkins JSON
 * contract, or the generic contract.
 */
export function deliveryFor(
  build: Build,
  action: BuildAction,
  options: { deliveryId?: string; labels?: string[] } = {},
): Delivery {
  const deliveryId = options.deliveryId ?? randomUUID();
  const labels = options.labels ?? labelsFor[build.source];
  if (build.source === 'github') {
    const githubAction = action === 'started' ? 'in_progress' : action === 'cancelled' ? 'completed' : action;
    return {
      source: 'github',
      body: {
        action: githubAction,
        workflow_job: {
          id: build.id,
          run_id: 10_000 + build.id,
          labels,
          html_url: `https://github.com/acme/app/actions/runs/${10_000 + build.id}/job/${build.id}`,
          conclusion: action === 'cancelled' ? 'cancelled' : action === 'completed' ? 'success' : null,
          created_at: new Date().toISOString(),
        },
        // A private repository (public ones are refused by default) and a job created now.
        repository: { name: 'app', owner: { login: 'acme' }, private: true, visibility: 'private' },
      },
      headers: { 'x-github-event': 'workflow_job', 'x-github-delivery': deliveryId },
    };
  }
  return {
    source: build.source,
    body: { action, job: { id: build.source === 'jenkins' ? build.id : `job-${build.id}`, labels } },
    headers: { 'x-pitcrew-delivery': deliveryId },
  };
}
