import { inspect } from 'node:util';
import { CiRejectedError, CiUnavailableError } from '../../../../shared/sources/errors';
import { createGithubSource, type GithubSourceOptions, signAppJwt } from '../../../../shared/sources/github';
import type { AgentRequest } from '../../../../shared/sources/types';
import {
  type FakeGithub,
  generateAppKeyPair,
  startFakeGithub,
} from '../../../../infra/local/stand-ins/github-api';
import { createPrivateKey } from 'node:crypto';

const appId = '123456';
const installationId = 42;
const keys = generateAppKeyPair();

const request: AgentRequest = {
  requestId: 'req-0001',
  agentName: 'pitcrew-linux-0001',
  labels: ['self-hosted', 'linux'],
  details: { source: 'github', owner: 'acme', repo: 'app', installationId },
};

const everythingIn = (error: unknown): string => inspect(error, { depth: 10 });

describe('GitHub App authentication', () => {
  let github: FakeGithub;
  let nowMs: number;
  const clock = () => nowMs;
  const tokenRequests = () => github.state.requests.filter((r) => r.path.endsWith('/access_tokens'));
  const source = (auth: Partial<Extract<GithubSourceOptions['auth'], { kind: 'app' }>> = {}) =>
    createGithubSource({
      apiUrl: github.url,
      auth: { kind: 'app', appId, privateKey: keys.privateKey, ...auth },
      now: clock,
    });

  beforeEach(async () => {
    nowMs = Date.parse('2026-03-01T12:00:00Z');
    github = await startFakeGithub({
      app: { appId, publicKey: keys.publicKey, installations: { acme: installationId } },
      now: clock,
    });
  });
  afterEach(() => github.close());

  it('exchanges a JWT the fake verifies for an installation token, then creates the runner with it', async () => {
    const credentials = await source().createAgentCredentials(request);

    expect(github.state.requests.map((r) => [r.method, r.path, r.auth])).toEqual([
      ['POST', `/app/installations/${installationId}/access_tokens`, 'app-jwt'],
      ['GET', '/repos/acme/app', 'installation-token'],
      ['POST', '/repos/acme/app/actions/runners/generate-jitconfig', 'installation-token'],
    ]);
    expect(credentials.externalId).toBe(String(github.state.runners[0]!.id));
  });

  it('signs a JWT with the documented claims: iat 60 s back, exp 9 minutes ahead, iss the App id', () => {
    const jwt = signAppJwt(appId, createPrivateKey(keys.privateKey), nowMs);
    const [header, payload] = jwt
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    const nowSeconds = nowMs / 1000;
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(payload).toEqual({ iat: nowSeconds - 60, exp: nowSeconds + 540, iss: 123456 });
  });

  it('reuses the installation token: a second build makes no second access_tokens request', async () => {
    const adapter = source();
    await adapter.createAgentCredentials(request);
    await adapter.createAgentCredentials({ ...request, agentName: 'pitcrew-linux-0002' });

    expect(tokenRequests()).toHaveLength(1);
    expect(github.state.runners).toHaveLength(2);
  });

  it('shares one token request between concurrent builds', async () => {
    const adapter = source();
    await Promise.all([
      adapter.createAgentCredentials(request),
      adapter.createAgentCredentials({ ...request, agentName: 'pitcrew-linux-0002' }),
    ]);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('renews the token 5 minutes before it expires, not earlier', async () => {
    const adapter = source();
    await adapter.createAgentCredentials(request);

    nowMs += 54 * 60 * 1000; // GitHub's token lives 60 minutes
    await adapter.createAgentCredentials({ ...request, agentName: 'pitcrew-linux-0002' });
    expect(tokenRequests()).toHaveLength(1);

    nowMs += 2 * 60 * 1000;
    await adapter.createAgentCredentials({ ...request, agentName: 'pitcrew-linux-0003' });
    expect(tokenRequests()).toHaveLength(2);
  });

  it('finds the installation from the repository when neither the webhook nor the options name it', async () => {
    const adapter = source();
    const withoutInstallation: AgentRequest = {
      ...request,
      details: { source: 'github', owner: 'acme', repo: 'app' },
    };
    await adapter.createAgentCredentials(withoutInstallation);
    await adapter.createAgentCredentials({ ...withoutInstallation, agentName: 'pitcrew-linux-0002' });

    const lookups = github.state.requests.filter((r) => r.path === '/repos/acme/app/installation');
    expect(lookups).toEqual([expect.objectContaining({ method: 'GET', auth: 'app-jwt' })]);
    expect(tokenRequests().map((r) => r.path)).toEqual([
      `/app/installations/${installationId}/access_tokens`,
    ]);
  });

  it('uses the configured installation when the webhook has none', async () => {
    await source({ installationId }).createAgentCredentials({
      ...request,
      details: { source: 'github', owner: 'acme', repo: 'app' },
    });
    expect(github.state.requests.map((r) => r.path)).not.toContain('/repos/acme/app/installation');
    expect(tokenRequests()).toHaveLength(1);
  });

  it('is rejected when the App is not installed on the repository', async () => {
    const error = await source()
      .createAgentCredentials({ ...request, details: { source: 'github', owner: 'elsewhere', repo: 'app' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiRejectedError);
    expect((error as Error).message).toContain('App 123456 is not installed on elsewhere/app');
  });

  it('is rejected, without the key, when the JWT is signed with another key', async () => {
    const otherKeys = generateAppKeyPair();
    const error = await source({ privateKey: otherKeys.privateKey })
      .createAgentCredentials(request)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CiRejectedError);
    expect(error).toMatchObject({ status: 401 });
    expect(github.state.runners).toHaveLength(0);
    expect(everythingIn(error)).not.toContain('PRIVATE KEY');
  });

  it('does not cache a failed token request', async () => {
    github.failNext(1, { status: 503, path: /access_tokens$/ });
    const adapter = source();

    await expect(adapter.createAgentCredentials(request)).rejects.toBeInstanceOf(CiUnavailableError);
    await adapter.createAgentCredentials(request);
    expect(tokenRequests()).toHaveLength(2);
    expect(github.state.runners).toHaveLength(1);
  });

  it('never puts the installation token into an error', async () => {
    const adapter = source();
    await adapter.createAgentCredentials(request);
    github.failNext(1, { status: 403, body: { message: 'Resource not accessible by integration' } });

    const error = await adapter
      .createAgentCredentials({ ...request, agentName: 'pitcrew-linux-0002' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiRejectedError);
    const [issued] = [...github.state.installationTokens.keys()];
    expect(issued).toMatch(/^ghs_/);
    expect(everythingIn(error)).not.toContain(issued);
  });

  it('refuses a private key that is not PEM when it is built, without repeating it', () => {
    const notAKey = 'not-a-key-but-maybe-a-secret';
    let thrown: unknown;
    try {
      createGithubSource({ auth: { kind: 'app', appId, privateKey: notAKey } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(/privateKey is not a PEM private key/);
    expect(everythingIn(thrown)).not.toContain(notAKey);
  });
});
