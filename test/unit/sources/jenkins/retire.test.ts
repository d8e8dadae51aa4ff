import { CiRejectedError, CiUnavailableError } from '../../../../shared/sources/errors';
import { createJenkinsSource } from '../../../../shared/sources/jenkins';
import { retiredMessage } from '../../../../shared/sources/jenkins/retire';
import type { AgentRequest } from '../../../../shared/sources/types';
import { type FakeJenkins, startFakeJenkins } from '../../../../infra/local/stand-ins/jenkins-api';

const apiToken = '11f0c0ffee2bd3a4d5e6f708192a3b4c5d';

const requestFor = (agentName: string): AgentRequest => ({
  requestId: `req-${agentName}`,
  agentName,
  labels: ['linux'],
  details: {
    source: 'jenkins',
    controllerUrl: 'https://jenkins.example.com/',
    queueItemId: 25,
    label: 'linux',
  },
});

describe('Jenkins retireBusyAgents and isAgentBusy(name, untilRetired): one build per agent', () => {
  let jenkins: FakeJenkins;
  const source = () => createJenkinsSource({ url: jenkins.url, user: 'pitcrew', apiToken });
  const node = (name: string) => jenkins.state.nodes.get(name)!;
  const offline = () =>
    [...jenkins.state.nodes.values()].filter((agent) => agent.temporarilyOffline).map((agent) => agent.name);

  beforeEach(async () => {
    jenkins = await startFakeJenkins({ user: 'pitcrew', apiToken });
    for (const name of ['pc-a', 'pc-b', 'pc-c']) await source().createAgentCredentials(requestFor(name));
    jenkins.state.requests.length = 0;
  });
  afterEach(() => jenkins.close());

  it("marks offline every Pitcrew agent running a build, and no idle one or another's", async () => {
    node('pc-a').busy = true;
    node('pc-b').busy = true;
    // A node someone else made, running a build: never Pitcrew's to touch.
    jenkins.state.nodes.set('static-1', {
      ...node('pc-c'),
      name: 'static-1',
      description: 'a static agent',
      busy: true,
    });
    expect(await source().retireBusyAgents!()).toEqual(['pc-a', 'pc-b']);
    expect(offline()).toEqual(['pc-a', 'pc-b']);
    expect(node('pc-b').offlineCauseReason).toBe(retiredMessage);
    expect(jenkins.state.requests.map((call) => `${call.method} ${call.path.split('?')[0]}`)).toEqual([
      'GET computer/api/json',
      'POST computer/pc-a/changeOfflineCause',
      'POST computer/pc-b/changeOfflineCause',
    ]);
  });

  it('says an agent is retired once it is out of rotation and idle, or gone', async () => {
    const retired = async (name: string) => !(await source().isAgentBusy(name, true));
    expect(await retired('pc-a')).toBe(false);
    node('pc-a').busy = true;
    await source().retireBusyAgents!();
    expect(await retired('pc-a')).toBe(false);
    node('pc-a').busy = false;
    expect(await retired('pc-a')).toBe(true);
    expect(await retired('pc-gone')).toBe(true);
  });

  it('leaves agents already offline, and idle ones, as they are (a second call changes nothing)', async () => {
    node('pc-b').busy = true;
    await source().retireBusyAgents!();
    jenkins.state.requests.length = 0;
    expect(await source().retireBusyAgents!()).toEqual([]);
    expect(jenkins.state.requests).toHaveLength(1);
    expect(offline()).toEqual(['pc-b']);
  });

  it('skips an agent deleted between the list and the call', async () => {
    node('pc-a').busy = true;
    jenkins.failNext(1, { status: 404, method: 'POST', path: /changeOfflineCause/ });
    expect(await source().retireBusyAgents!()).toEqual([]);
  });

  it('names the permission a 403 lacks, and fails retryably when Jenkins is down', async () => {
    node('pc-a').busy = true;
    jenkins.failNext(1, { status: 403, method: 'POST', path: /changeOfflineCause/ });
    const refused = source().retireBusyAgents!();
    await expect(refused).rejects.toBeInstanceOf(CiRejectedError);
    await expect(refused).rejects.toThrow('needs Agent/Disconnect permission');
    jenkins.failNext(1, { status: 503 });
    await expect(source().retireBusyAgents!()).rejects.toBeInstanceOf(CiUnavailableError);
    jenkins.failNext(1, { status: 200, body: '<html>login</html>' });
    await expect(source().retireBusyAgents!()).rejects.toThrow('not with the JSON its remote API documents');
  });

  it('takes a redirect for a mark only to the node’s own page: a login page marked nothing', async () => {
    node('pc-a').busy = true;
    jenkins.failNext(1, {
      status: 302,
      headers: { location: 'https://sso.example.com/login?rd=/computer/pc-a/' },
      method: 'POST',
      path: /changeOfflineCause/,
    });
    await expect(source().retireBusyAgents!()).rejects.toThrow('(302): it redirected the call');
    expect(offline()).toEqual([]);
    expect(await source().retireBusyAgents!()).toEqual(['pc-a']);
    expect(offline()).toEqual(['pc-a']);
  });
});
