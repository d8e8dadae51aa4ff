import { CiRejectedError, CiUnavailableError } from '../../../../shared/sources/errors';
import { createGithubSource } from '../../../../shared/sources/github';
import type { AgentRequest } from '../../../../shared/sources/types';
import {
  type FakeGithub,
  type FakeRunStatus,
  startFakeGithub,
} from '../../../../infra/local/stand-ins/github-api';

const token = 'ghp_PitcrewTestToken0123456789abcdefABCD';

const request: AgentRequest & { jobKey: string } = {
  requestId: 'req-0001',
  agentName: 'pitcrew-linux-0001',
  labels: [],
  details: { source: 'github', owner: 'acme', repo: 'app' },
  jobKey: '901',
};

/**
 * The reaper asks whether GitHub still waits to run a build whose runner finished before the build
 * started on it (that runner ran another job of the repository): GET .../actions/jobs/{job_id}.
 */
describe('GitHub buildWaits', () => {
  let github: FakeGithub;
  const adapter = () => createGithubSource({ apiUrl: github.url, auth: { kind: 'token', token } });
  const withJob = (status: FakeRunStatus) =>
    github.state.workflowRuns.push({
      id: 7001,
      owner: 'acme',
      repo: 'app',
      status: 'in_progress',
      jobs: [{ id: 901, status, labels: ['self-hosted', 'linux'] }],
    });

  beforeEach(async () => {
    github = await startFakeGithub({ tokens: [token] });
  });
  afterEach(() => github.close());

  it.each([
    ['queued', true],
    ['waiting', true],
    ['in_progress', false],
    ['completed', false],
  ] as const)('a job %s: %p', async (status, waits) => {
    withJob(status);
    await expect(adapter().buildWaits?.(request)).resolves.toBe(waits);
    expect(github.state.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/app/actions/jobs/901',
    ]);
  });

  it('a job GitHub does not have (404): nothing waits', async () => {
    await expect(adapter().buildWaits?.(request)).resolves.toBe(false);
  });

  it('GitHub down: a passing failure, for the reaper to ask again', async () => {
    withJob('queued');
    github.failNext(1, { status: 503 });
    await expect(adapter().buildWaits?.(request)).rejects.toBeInstanceOf(CiUnavailableError);
  });

  it('without the permission to read jobs: refused, naming it', async () => {
    withJob('queued');
    github.failNext(1, { status: 403, body: { message: 'Resource not accessible by integration' } });
    const failure = await adapter()
      .buildWaits?.(request)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CiRejectedError);
    expect(String(failure)).toContain('Actions: read');
  });
});
