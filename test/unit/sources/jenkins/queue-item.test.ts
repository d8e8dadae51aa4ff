import { CiRejectedError, CiUnavailableError } from '../../../../shared/sources/errors';
import { createJenkinsSource } from '../../../../shared/sources/jenkins';
import { podNameFor, requestIdFor } from '../../../../shared/requests';
import { type FakeJenkins, startFakeJenkins } from '../../../../infra/local/stand-ins/jenkins-api';

/** buildWaits: whether Jenkins still queues a build, from GET /queue/item/ID/api/json. */
describe('Jenkins buildWaits', () => {
  const apiToken = 'jenkins-api-token-0000';
  let jenkins: FakeJenkins;
  beforeEach(async () => {
    jenkins = await startFakeJenkins({ user: 'pitcrew', apiToken });
  });
  afterEach(() => jenkins.close());

  const asked = (queueItemId: number) => {
    const jobKey = `${jenkins.url}#${queueItemId}`;
    const requestId = requestIdFor('jenkins', jobKey);
    return createJenkinsSource({ url: jenkins.url, user: 'pitcrew', apiToken }).buildWaits!({
      requestId,
      jobKey,
      agentName: podNameFor('jk', requestId),
      labels: [],
      details: { source: 'jenkins', controllerUrl: jenkins.url, queueItemId, label: 'linux' },
    });
  };

  it('is true while the item waits, false once it left (started or cancelled) or is forgotten', async () => {
    jenkins.state.queue.push({ id: 5, label: 'linux' });
    jenkins.state.left.push({ id: 6, cancelled: false }, { id: 7, cancelled: true });
    expect(await asked(5)).toBe(true);
    expect(await asked(6)).toBe(false);
    expect(await asked(7)).toBe(false);
    expect(await asked(8)).toBe(false);
    expect(jenkins.state.requests.at(-1)).toMatchObject({ method: 'GET', path: 'queue/item/8/api/json' });
  });

  it('throws what the reaper waits out (unavailable) or takes for good (refused, not Jenkins)', async () => {
    jenkins.failNext(1, { status: 503 });
    await expect(asked(5)).rejects.toBeInstanceOf(CiUnavailableError);
    jenkins.failNext(1, { status: 403 });
    await expect(asked(5)).rejects.toThrow(/Overall\/Read/);
    jenkins.failNext(1, { status: 200, body: '<html>a login page</html>' });
    await expect(asked(5)).rejects.toBeInstanceOf(CiRejectedError);
  });
});
