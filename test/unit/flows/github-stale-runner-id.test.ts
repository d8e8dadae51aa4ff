import { type FakeGithub, startFakeGithub } from '../../../infra/local/stand-ins/github-api';
import { crashingPorts } from '../../../infra/local/stand-ins/crash-ports';
import { provisionRequest } from '../../../shared/provision';
import { fromTheStateRead } from '../../../shared/requests/transitions';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import {
  attemptSeconds,
  createTwins,
  githubFlowYaml,
  githubToken,
  livePods,
  recordGithubBuild,
  slots,
  type Twins,
} from './twins';

/**
 * A request kept the `externalId` of its first recorded runner after the reaper gave its build another
 * go. A later attempt registered a new runner and died before recording it; when
 * the build then ended, the removal deleted the old runner by the stale id (404: "already gone") and
 * never looked the current one up by name (bug 42). A slot taken now clears the earlier id.
 */
describe('a GitHub runner of a later attempt, when the build ends', () => {
  let github: FakeGithub;
  let twins: Twins;
  beforeEach(async () => {
    github = await startFakeGithub({ tokens: [githubToken] });
    twins = createTwins(githubFlowYaml(github.url));
  });
  afterEach(() => github.close());

  it("is deregistered though the request still named the earlier attempt's runner", async () => {
    const requestId = await recordGithubBuild(twins, 'acme/app#42', 'gh');
    const podName = podNameFor('gh', requestId);

    // First attempt: provisioned with runner #1 recorded.
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    const firstId = (await twins.state.requests.get(requestId))?.externalId;
    expect(firstId).toEqual(expect.any(String));

    // Its pod vanishes before the job starts; the reaper deregisters runner #1 and retries the build.
    await twins.agents.deletePod(twins.namespace, podName);
    twins.clock.advance(twins.config.reaper.lostGraceSeconds);
    expect(await reap(twins.reap)).toMatchObject({ lost: 1, retried: 1 });
    expect(github.state.runners).toHaveLength(0);

    // Second attempt: registers runner #2, and dies before its pod.
    const { ports, crashed } = crashingPorts(twins.provision, 'after-credentials');
    void provisionRequest(requestId, ports);
    await crashed;
    // A runner of its own name: the retry's agent is the request's second.
    expect(github.state.runners.map((runner) => runner.name)).toEqual([podNameFor('gh', requestId, 2)]);
    expect((await twins.state.requests.get(requestId))?.externalId).toBeUndefined();

    // GitHub cancels the job: the request is ending, and its message finishes it once the dead
    // attempt's time is out.
    expect(
      await twins.state.requests.transition(
        requestId,
        fromTheStateRead('mark-ending', 'provisioning'),
        'ending',
        { endAs: 'cancelled' },
      ),
    ).toMatchObject({ status: 'ending' });
    twins.clock.advance(attemptSeconds + 1);
    expect(await provisionRequest(requestId, twins.provision)).toEqual({
      kind: 'ended',
      status: 'cancelled',
    });

    expect(livePods(twins)).toEqual([]);
    expect(await slots(twins)).toEqual({ global: 0, templates: { gh: 0 } });
    // Nothing points at runner #2 any more: it must be gone.
    expect(github.state.runners).toEqual([]);
  });
});
