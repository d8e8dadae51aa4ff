import { inspect } from 'node:util';
import { CiError, CiRejectedError, CiUnavailableError } from '../../../../shared/sources/errors';
import { createJenkinsSource, type JenkinsSourceOptions } from '../../../../shared/sources/jenkins';
import type { AgentRequest } from '../../../../shared/sources/types';
import { getAgentState } from '../../../../shared/sources/jenkins/agents';
import { createJenkinsFetch } from '../../../../shared/sources/jenkins/api';
import { listQueueItems } from '../../../../shared/sources/jenkins/polling';
import { type FakeJenkins, startFakeJenkins } from '../../../../infra/local/stand-ins/jenkins-api';

const apiToken = '11f0c0ffee2bd3a4d5e6f708192a3b4c5d';

const request: AgentRequest = {
  requestId: 'req-0001',
  agentName: 'pitcrew-linux-0001',
  labels: ['linux', 'docker'],
  details: {
    source: 'jenkins',
    controllerUrl: 'https://jenkins.example.com/',
    queueItemId: 25,
    label: 'linux&&docker',
  },
};

/** Everything an error would show in a log line: message, stack and causes. */
const everythingIn = (error: unknown): string => inspect(error, { depth: 10 });

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('Jenkins createAgentCredentials', () => {
  let jenkins: FakeJenkins;
  const source = (options: Partial<JenkinsSourceOptions> = {}) =>
    createJenkinsSource({ url: jenkins.url, user: 'pitcrew', apiToken, ...options });

  beforeEach(async () => {
    jenkins = await startFakeJenkins({ user: 'pitcrew', apiToken });
  });
  afterEach(() => jenkins.close());

  it('creates a permanent WebSocket agent with one executor, for its labels only', async () => {
    await source().createAgentCredentials(request);

    const node = jenkins.state.nodes.get('pitcrew-linux-0001');
    expect(node).toMatchObject({
      type: 'hudson.slaves.DumbSlave',
      labelString: 'linux docker',
      remoteFS: '/home/jenkins/agent',
      mode: 'EXCLUSIVE',
      numExecutors: 1,
      webSocket: true,
      description: 'Pitcrew agent for request req-0001',
    });
    expect(node?.config).toMatchObject({
      launcher: { 'stapler-class': 'hudson.slaves.JNLPLauncher', webSocket: true },
      retentionStrategy: { 'stapler-class': 'hudson.slaves.RetentionStrategy$Always' },
    });
  });

  it('returns the secret from the JNLP file in secretEnv and the rest in env', async () => {
    const credentials = await source().createAgentCredentials(request);

    const secret = jenkins.state.nodes.get('pitcrew-linux-0001')!.secret;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(credentials).toEqual({
      secretEnv: { JENKINS_SECRET: secret },
      env: {
        JENKINS_URL: jenkins.url,
        JENKINS_AGENT_NAME: 'pitcrew-linux-0001',
        JENKINS_AGENT_WORKDIR: '/home/jenkins/agent',
        JENKINS_WEB_SOCKET: 'true',
      },
    });
  });

  it('sends the documented calls: a form POST to doCreateItem, then GET jenkins-agent.jnlp', async () => {
    await source().createAgentCredentials(request);

    const [create, jnlp, ...rest] = jenkins.state.requests;
    expect(rest).toEqual([]);
    expect(create).toMatchObject({ method: 'POST', path: 'computer/doCreateItem' });
    expect(create?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(create?.body);
    expect(form.get('name')).toBe('pitcrew-linux-0001');
    expect(form.get('type')).toBe('hudson.slaves.DumbSlave');
    expect(JSON.parse(form.get('json') ?? '{}')).toMatchObject({
      numExecutors: '1',
      mode: 'EXCLUSIVE',
      labelString: 'linux docker',
    });
    expect(jnlp).toMatchObject({ method: 'GET', path: 'computer/pitcrew-linux-0001/jenkins-agent.jnlp' });
    expect(JSON.stringify(jenkins.state.requests)).not.toContain(apiToken);
  });

  it('passes agentWorkDir to the node and the pod, and connects the agent over WebSocket, never a tunnel', async () => {
    const credentials = await source({ agentWorkDir: '/work' }).createAgentCredentials(request);
    expect(credentials.env).toMatchObject({ JENKINS_AGENT_WORKDIR: '/work', JENKINS_WEB_SOCKET: 'true' });
    // The inbound agent refuses -tunnel with -webSocket: the config refuses `tunnel` (user-mistakes).
    expect(credentials.env).not.toHaveProperty('JENKINS_TUNNEL');
    expect(jenkins.state.nodes.get('pitcrew-linux-0001')?.remoteFS).toBe('/work');
  });

  it('refuses to make a node without labels, which would take no build, and makes none', async () => {
    const refused = source().createAgentCredentials({ ...request, labels: [] });
    await expect(refused).rejects.toThrow(CiError);
    await expect(refused).rejects.toMatchObject({
      retryable: false,
      message: 'a Jenkins agent needs at least one label, and its template names none',
    });
    expect(jenkins.state.nodes.has(request.agentName)).toBe(false);
  });

  it('reuses the node a previous attempt created and returns its secret', async () => {
    const first = await source().createAgentCredentials(request);
    const again = await source().createAgentCredentials(request);

    expect(again).toEqual(first);
    expect(jenkins.state.nodes.size).toBe(1);
    expect(jenkins.state.requests.map((call) => `${call.method} ${call.path.split('?')[0]}`)).toEqual([
      'POST computer/doCreateItem',
      'GET computer/pitcrew-linux-0001/jenkins-agent.jnlp',
      'POST computer/doCreateItem',
      'GET computer/pitcrew-linux-0001/api/json',
      'GET computer/pitcrew-linux-0001/jenkins-agent.jnlp',
    ]);
  });

  it('recovers when the create call timed out after Jenkins made the node', async () => {
    jenkins.failNext(1, { reset: true, method: 'POST' });
    await expect(source().createAgentCredentials(request)).rejects.toBeInstanceOf(CiUnavailableError);
    // The reset came before the fake created the node; make it as Jenkins would have.
    await source().createAgentCredentials(request);
    const retried = await source().createAgentCredentials(request);
    expect(retried.secretEnv.JENKINS_SECRET).toBe(jenkins.state.nodes.get('pitcrew-linux-0001')?.secret);
  });

  it('leaves a node Pitcrew did not create alone', async () => {
    await source().createAgentCredentials(request);
    const node = jenkins.state.nodes.get('pitcrew-linux-0001')!;
    jenkins.state.nodes.set(node.name, { ...node, description: 'build box under Alice desk' });

    const error = await failureOf(source().createAgentCredentials(request));
    expect(error).toBeInstanceOf(CiRejectedError);
    expect((error as Error).message).toContain('Pitcrew did not create');
  });

  it('works with a controller under a context path', async () => {
    await jenkins.close();
    jenkins = await startFakeJenkins({ user: 'pitcrew', apiToken, contextPath: '/jenkins' });
    const credentials = await source({ url: jenkins.url.replace(/\/$/, '') }).createAgentCredentials(request);
    expect(credentials.env.JENKINS_URL).toBe(jenkins.url);
    expect(credentials.env.JENKINS_URL).toMatch(/\/jenkins\/$/);
    expect(credentials.secretEnv.JENKINS_SECRET).toBe(jenkins.state.nodes.get('pitcrew-linux-0001')?.secret);
  });

  describe('failures', () => {
    it.each([500, 502, 503])('%i is worth retrying', async (status) => {
      jenkins.failNext(1, { status });
      const error = await failureOf(source().createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiUnavailableError);
      expect((error as CiUnavailableError).retryable).toBe(true);
      expect((error as Error).message).toBe(
        `Jenkins answered ${status} when asked to create agent pitcrew-linux-0001`,
      );
    });

    it('a 503 with Retry-After says when, as seconds or as a date', async () => {
      jenkins.failNext(1, { status: 503, headers: { 'retry-after': '120' } });
      expect(await failureOf(source().createAgentCredentials(request))).toMatchObject({
        retryAfterSeconds: 120,
      });

      const inNinetySeconds = new Date(Date.now() + 90_000).toUTCString();
      jenkins.failNext(1, { status: 429, headers: { 'retry-after': inNinetySeconds } });
      const error = (await failureOf(source().createAgentCredentials(request))) as CiUnavailableError;
      expect(error).toBeInstanceOf(CiUnavailableError);
      // An HTTP date counts whole seconds, and the adapter reads it a moment later on its own clock
      // (on a loaded machine, seconds later).
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(80);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(90);
    });

    it('a 503 while reading the secret is retryable too', async () => {
      jenkins.failNext(1, { status: 503, path: /jenkins-agent\.jnlp$/ });
      const error = await failureOf(source().createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiUnavailableError);
      expect((error as Error).message).toContain('read the secret of agent pitcrew-linux-0001');
    });

    it('an unreachable controller is retryable', async () => {
      const url = jenkins.url;
      // The next fake starts before this one closes, so it cannot be given the port now left empty.
      const closing = jenkins;
      jenkins = await startFakeJenkins({ user: 'pitcrew', apiToken });
      await closing.close();
      const error = await failureOf(
        createJenkinsSource({ url, user: 'pitcrew', apiToken }).createAgentCredentials(request),
      );
      expect(error).toBeInstanceOf(CiUnavailableError);
      expect((error as Error).message).toMatch(
        /could not reach Jenkins at .* \(ECONNREFUSED\) when asked to create agent/,
      );
    });

    it('a dropped connection is retryable', async () => {
      jenkins.failNext(1, { reset: true });
      const error = await failureOf(source().createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiUnavailableError);
      expect((error as Error).message).toMatch(
        /could not reach Jenkins at .* \((ECONNRESET|UND_ERR_SOCKET)\)/,
      );
    });

    it('a slow controller times out, retryably', async () => {
      jenkins.failNext(1, { status: 200, delayMs: 2_000 });
      const error = await failureOf(source({ requestTimeoutMs: 100 }).createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiUnavailableError);
      expect((error as Error).message).toBe(
        'Jenkins did not answer within 100 ms when asked to create agent pitcrew-linux-0001',
      );
    });

    it('a wrong token is a permanent 401', async () => {
      const error = await failureOf(source({ apiToken: 'not-the-token' }).createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiRejectedError);
      expect(error).toMatchObject({ status: 401, retryable: false });
      expect((error as Error).message).toContain('Jenkins refused to create agent pitcrew-linux-0001 (401)');
      expect(everythingIn(error)).not.toContain('not-the-token');
    });

    it('a 403 names the permissions the user needs', async () => {
      jenkins.failNext(1, { status: 403 });
      const error = await failureOf(source().createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiRejectedError);
      expect((error as Error).message).toBe(
        "Jenkins refused to create agent pitcrew-linux-0001 (403): the API token's user needs Agent/Create and Agent/Connect permission",
      );

      jenkins.failNext(1, { status: 403, path: /jenkins-agent\.jnlp$/ });
      const reading = await failureOf(
        source().createAgentCredentials({ ...request, agentName: 'pitcrew-linux-0002' }),
      );
      expect((reading as Error).message).toContain(
        "(403): the API token's user needs Agent/Connect permission",
      );
    });

    it('a 404 says url is wrong', async () => {
      jenkins.failNext(1, { status: 404 });
      const error = await failureOf(source().createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiRejectedError);
      expect((error as Error).message).toContain('url does not point at a Jenkins controller');
    });

    it('a redirect instead of the JNLP file (a proxy sending to its login page) is refused', async () => {
      jenkins.failNext(1, {
        status: 302,
        headers: { location: 'https://sso.example.com/login' },
        path: /jnlp$/,
      });
      const error = await failureOf(source().createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiRejectedError);
      expect((error as Error).message).toContain('(302): it redirected the call');
    });

    it('a redirect to a login page instead of the node’s creation is refused', async () => {
      jenkins.failNext(1, {
        status: 302,
        headers: { location: 'https://sso.example.com/login' },
        path: /doCreateItem$/,
      });
      const error = await failureOf(source().createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiRejectedError);
      expect((error as Error).message).toContain('(302): it redirected the call');
    });

    it('a login page instead of the JNLP file is refused, not retried', async () => {
      jenkins.failNext(1, {
        status: 200,
        body: '<html><form action="/sso/login">Sign in</form></html>',
        path: /jnlp$/,
      });
      const error = await failureOf(source().createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiRejectedError);
      expect((error as Error).message).toContain('not a JNLP file');
    });

    it('never puts the API token or the agent secret in an error', async () => {
      const errors: unknown[] = [];
      for (const failure of [{ status: 401 }, { status: 403 }, { status: 500 }, { reset: true }]) {
        jenkins.failNext(1, { ...failure, path: /jnlp$/ });
        errors.push(await failureOf(source().createAgentCredentials(request)));
      }
      errors.push(await failureOf(source({ apiToken: `${apiToken}x` }).createAgentCredentials(request)));
      const secret = jenkins.state.nodes.get('pitcrew-linux-0001')!.secret;
      for (const error of errors) {
        expect(error).toBeInstanceOf(Error);
        expect(everythingIn(error)).not.toContain(apiToken);
        expect(everythingIn(error)).not.toContain(secret);
      }
    });
  });
});

describe('Jenkins deregisterAgent, isAgentBusy and the queue', () => {
  let jenkins: FakeJenkins;
  const source = () => createJenkinsSource({ url: jenkins.url, user: 'pitcrew', apiToken });

  beforeEach(async () => {
    jenkins = await startFakeJenkins({ user: 'pitcrew', apiToken });
  });
  afterEach(() => jenkins.close());

  it('deletes a registered agent with POST doDelete', async () => {
    await source().createAgentCredentials(request);
    await source().deregisterAgent(request);

    expect(jenkins.state.nodes.has('pitcrew-linux-0001')).toBe(false);
    expect(jenkins.state.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: 'computer/pitcrew-linux-0001/doDelete',
    });
  });

  it('treats an agent that is already gone as deleted', async () => {
    await expect(source().deregisterAgent(request)).resolves.toBeUndefined();
    expect(jenkins.state.requests).toHaveLength(1);
  });

  it('maps deletion failures like the other calls', async () => {
    jenkins.failNext(1, { status: 503 });
    await expect(source().deregisterAgent(request)).rejects.toBeInstanceOf(CiUnavailableError);
    jenkins.failNext(1, { status: 403 });
    await expect(source().deregisterAgent(request)).rejects.toThrow('needs Agent/Delete permission');
  });

  it('takes no redirect but Jenkins’s own to its agent list for a delete: a login page in front of Jenkins deleted nothing', async () => {
    await source().createAgentCredentials(request);
    for (const location of ['https://sso.example.com/login?from=%2Fcomputer%2F', '/login', '']) {
      jenkins.failNext(1, { status: 302, headers: location ? { location } : {}, path: /doDelete$/ });
      const error = await failureOf(source().deregisterAgent(request));
      expect(error).toBeInstanceOf(CiRejectedError);
      expect((error as Error).message).toContain('(302): it redirected the call');
      expect(jenkins.state.nodes.has('pitcrew-linux-0001')).toBe(true);
    }
    // Jenkins's own answer, under another root URL (behind a proxy): the node is gone.
    jenkins.failNext(1, {
      status: 302,
      headers: { location: 'http://jenkins-internal:8080/ci/computer/' },
      path: /doDelete$/,
    });
    await expect(source().deregisterAgent(request)).resolves.toBeUndefined();
  });

  it('takes a page (even 200) where Jenkins redirects for no delete: a login form served as a page deleted nothing', async () => {
    await source().createAgentCredentials(request);
    jenkins.failNext(1, {
      status: 200,
      body: '<html><form action="/login">Sign in</form></html>',
      path: /doDelete$/,
    });
    const error = await failureOf(source().deregisterAgent(request));
    expect(error).toBeInstanceOf(CiRejectedError);
    expect((error as Error).message).toContain('(200): it answered with a page where Jenkins redirects');
    expect(jenkins.state.nodes.has('pitcrew-linux-0001')).toBe(true);
  });

  it.each([
    '/computer/pitcrew-linux-0001/..',
    '/jenkins/computer/pitcrew-linux-0001/..',
    '/jenkins/computer/',
    'https://ci.example.com/jenkins/computer/',
  ])(
    'takes Jenkins’s redirect as Stapler and a context path shape it (%s) for the delete',
    async (location) => {
      jenkins.failNext(1, { status: 302, headers: { location }, path: /doDelete$/ });
      await expect(source().deregisterAgent(request)).resolves.toBeUndefined();
    },
  );

  it('reports an agent busy only while its executor runs a build', async () => {
    await source().createAgentCredentials(request);
    expect(await source().isAgentBusy('pitcrew-linux-0001')).toBe(false);

    jenkins.state.nodes.get('pitcrew-linux-0001')!.busy = true;
    expect(await source().isAgentBusy('pitcrew-linux-0001')).toBe(true);
    expect(await source().isAgentBusy('pitcrew-unknown')).toBe(false);
  });

  it('reads whether the agent is busy and out of rotation, and its description', async () => {
    await source().createAgentCredentials(request);
    const api = {
      fetch: createJenkinsFetch({ url: jenkins.url, user: 'pitcrew', apiToken, requestTimeoutMs: 5_000 }),
      now: Date.now,
    };
    expect(await getAgentState(api, 'pitcrew-linux-0001')).toEqual({
      busy: false,
      retired: false,
      description: 'Pitcrew agent for request req-0001',
    });
    Object.assign(jenkins.state.nodes.get('pitcrew-linux-0001')!, { busy: true, temporarilyOffline: true });
    expect(await getAgentState(api, 'pitcrew-linux-0001')).toMatchObject({ busy: true, retired: true });
    expect(await getAgentState(api, 'pitcrew-unknown')).toBeUndefined();
  });

  it('fails retryably when the state cannot be read', async () => {
    jenkins.failNext(1, { status: 502 });
    await expect(source().isAgentBusy('pitcrew-linux-0001')).rejects.toBeInstanceOf(CiUnavailableError);
  });

  it('lists the queue with the label each item waits for', async () => {
    jenkins.state.queue.push(
      {
        id: 25,
        why: 'Waiting for next available executor on ‘linux’',
        taskUrl: `${jenkins.url}job/app/`,
        inQueueSince: 1_000,
      },
      { id: 26, why: 'In the quiet period. Expires in 3 sec', taskName: 'other' },
    );
    // The reaper's poll reads the queue through this (shared/sources/jenkins/polling.ts).
    const api = {
      fetch: createJenkinsFetch({ url: jenkins.url, user: 'pitcrew', apiToken, requestTimeoutMs: 5_000 }),
      now: Date.now,
    };
    expect(await listQueueItems(api)).toEqual([
      {
        id: 25,
        why: 'Waiting for next available executor on ‘linux’',
        label: 'linux',
        // Jenkins gives this text with a node's name too, when only one node has the label.
        mayNameNode: true,
        taskName: 'job-25',
        taskUrl: `${jenkins.url}job/app/`,
        inQueueSince: 1_000,
      },
      {
        id: 26,
        why: 'In the quiet period. Expires in 3 sec',
        taskName: 'other',
        inQueueSince: expect.any(Number),
      },
    ]);
  });
});
