import { CiAgentBusyError, CiRejectedError, CiUnavailableError } from '../../../../shared/sources/errors';
import { createGithubSource, type GithubSourceOptions } from '../../../../shared/sources/github';
import type { AgentRequest } from '../../../../shared/sources/types';
import { type FakeGithub, startFakeGithub } from '../../../../infra/local/stand-ins/github-api';

const token = 'ghp_PitcrewTestToken0123456789abcdefABCD';

const request: AgentRequest = {
  requestId: 'req-0001',
  agentName: 'pitcrew-linux-0001',
  labels: ['self-hosted', 'linux'],
  details: { source: 'github', owner: 'acme', repo: 'app' },
};

describe('GitHub deregisterAgent', () => {
  let github: FakeGithub;
  const source = (options: Partial<GithubSourceOptions> = {}) =>
    createGithubSource({ apiUrl: github.url, auth: { kind: 'token', token }, ...options });
  const calls = () => github.state.requests.map((r) => `${r.method} ${r.path}`);

  beforeEach(async () => {
    github = await startFakeGithub({ tokens: [token] });
  });
  afterEach(() => github.close());

  it('deletes the runner by its id (204)', async () => {
    const adapter = source();
    const { externalId } = await adapter.createAgentCredentials(request);

    await adapter.deregisterAgent({ ...request, externalId });
    expect(github.state.runners).toHaveLength(0);
    expect(calls().at(-1)).toBe(`DELETE /repos/acme/app/actions/runners/${externalId}`);
  });

  it('succeeds when the runner is already gone (404), as a used JIT runner is', async () => {
    const adapter = source();
    const { externalId } = await adapter.createAgentCredentials(request);
    github.state.runners.length = 0;

    await expect(adapter.deregisterAgent({ ...request, externalId })).resolves.toBeUndefined();
    expect(calls().at(-1)).toBe(`DELETE /repos/acme/app/actions/runners/${externalId}`);
  });

  it('finds the runner by name when no id was recorded', async () => {
    const adapter = source();
    await adapter.createAgentCredentials(request);
    await adapter.createAgentCredentials({ ...request, agentName: 'pitcrew-linux-0002' });

    await adapter.deregisterAgent(request);
    expect(github.state.runners.map((r) => r.name)).toEqual(['pitcrew-linux-0002']);
  });

  it('does nothing when no id was recorded and no runner has the name', async () => {
    await source().deregisterAgent(request);
    expect(calls()).toEqual(['GET /repos/acme/app/actions/runners?name=pitcrew-linux-0001&per_page=100']);
  });

  it('deletes an organization runner from the organization', async () => {
    const adapter = source({ runnerScope: 'org' });
    const { externalId } = await adapter.createAgentCredentials(request);

    await adapter.deregisterAgent({ ...request, externalId });
    expect(calls().at(-1)).toBe(`DELETE /orgs/acme/actions/runners/${externalId}`);
    expect(github.state.runners).toHaveLength(0);
  });

  it('is unavailable (retryable) when GitHub answers 502', async () => {
    github.failNext(1, { status: 502, method: 'DELETE' });
    await expect(source().deregisterAgent({ ...request, externalId: '101' })).rejects.toBeInstanceOf(
      CiUnavailableError,
    );
  });

  it('is rejected when GitHub refuses to delete a runner that is still running a job (422)', async () => {
    const adapter = source();
    const { externalId } = await adapter.createAgentCredentials(request);
    github.state.runners[0]!.busy = true;

    const error = await adapter.deregisterAgent({ ...request, externalId }).catch((e: unknown) => e);
    // A busy runner is told apart, so its pod is left to finish the job it took (deregister.ts).
    expect(error).toBeInstanceOf(CiAgentBusyError);
    expect(error).toMatchObject({ status: 422, message: expect.stringContaining('still running a job') });
    expect(github.state.runners).toHaveLength(1);
  });

  it('refuses an external id that is not a runner id, without calling GitHub', async () => {
    await expect(source().deregisterAgent({ ...request, externalId: '../hooks/1' })).rejects.toBeInstanceOf(
      CiRejectedError,
    );
    expect(calls()).toEqual([]);
  });
});
