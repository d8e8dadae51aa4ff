import { runOpsAction, type OpsPorts } from '../../../shared/ops';
import { provisionRequest, RetryLaterError, type ProvisionPorts } from '../../../shared/provision';
import { removeAgentOf } from '../../../shared/provision/remove-agent-of';
import { reap } from '../../../shared/reap';
import { CiRejectedError } from '../../../shared/sources/errors';
import type { CiSource } from '../../../shared/sources/names';
import type { LoadSources, SourceRegistry } from '../../../shared/sources/types';
import { createTwins, livePods, namedCi, recordQueued, runPod, slots, type Twins } from './twins';

/**
 * A function builds no CI adapter at cold start: each is built, its code loaded, the first time the
 * function needs its CI (shared/runtime/api-sources.ts). These ports start with an empty registry,
 * as a function's do, and fill it from the twins' adapters when asked, or fail to, as an adapter
 * over a bad setting does (a GitHub App key that is not a private key).
 */
function lazily(twins: Twins, failWith?: Error | 'builds nothing') {
  const built: SourceRegistry = twins.provision.sources;
  const sources: SourceRegistry = {};
  const asked: (readonly CiSource[] | 'every CI')[] = [];
  const loadSources: LoadSources = async (names) => {
    asked.push(names ?? 'every CI');
    if (failWith === 'builds nothing') return;
    if (failWith) throw failWith;
    for (const name of names ?? (Object.keys(built) as CiSource[])) sources[name] = built[name];
  };
  const provision: ProvisionPorts = { ...twins.provision, sources, loadSources };
  return { provision, reap: { ...twins.reap, sources, loadSources }, sources, asked };
}

const badKey = new Error('GitHub App privateKey is not a PEM private key');

describe('CI adapters built on first use', () => {
  it("provision builds the adapter of the request's CI, and only it, before it asks the CI for an agent", async () => {
    const twins = createTwins();
    const lazy = lazily(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, lazy.provision)).toMatchObject({ kind: 'provisioned' });
    expect(lazy.asked).toContainEqual(['generic']);
    expect(lazy.asked).not.toContain('every CI');
    expect(Object.keys(lazy.sources)).toEqual(['generic']);
    expect(livePods(twins)).toHaveLength(1);
  });

  it('an adapter that cannot be built is a failure that may heal: the slot is given back and SQS tries again; the last delivery fails the build, saying why', async () => {
    const twins = createTwins();
    const lazy = lazily(twins, badKey);
    const requestId = await recordQueued(twins, 'build-1');
    await expect(provisionRequest(requestId, lazy.provision)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'queued' });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    expect(livePods(twins)).toEqual([]);

    await expect(provisionRequest(requestId, lazy.provision, true)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining(
        'the generic adapter cannot be built: GitHub App privateKey is not a PEM private key',
      ),
    });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  it("removing an agent whose CI's adapter cannot be built counts as the CI failing for now: the agent is kept, its pod goes as asked", async () => {
    const twins = createTwins();
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    const record = (await twins.state.requests.get(requestId))!;
    const lazy = lazily(twins, badKey);
    const removal = await removeAgentOf(
      lazy.provision,
      record,
      { agentName: record.podName!, labels: [] },
      { pod: 'delete' },
    );
    expect(removal).toMatchObject({ kind: 'kept', error: { retryable: true } });
    expect(livePods(twins)).toEqual([]);
  });

  it("the reaper builds every CI's adapter before it decides anything, and one that cannot be built fails the run before it takes the lease", async () => {
    const twins = createTwins();
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    const podName = (await twins.state.requests.get(requestId))!.podName!;
    runPod(twins, podName);
    const broken = lazily(twins, badKey);
    await expect(reap(broken.reap)).rejects.toThrow(badKey.message);
    expect(broken.asked).toEqual(['every CI']);
    // The lease was never taken: the next run, with its adapters, goes on at once.
    const lazy = lazily(twins);
    const report = await reap(lazy.reap);
    expect(report.skipped).toBeUndefined();
    expect(lazy.asked).toEqual(['every CI']);
    expect(Object.keys(lazy.sources)).toEqual(['generic']);
    expect(livePods(twins)).toEqual([podName]);
  });

  it('a configured CI whose adapter the registry still lacks after loading (ports over a copy of it) is never taken for a CI the config dropped', async () => {
    const twins = createTwins();
    const requestId = await recordQueued(twins, 'build-1');
    const copy = lazily(twins, 'builds nothing');
    await expect(provisionRequest(requestId, copy.provision)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'queued' });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    await expect(reap(copy.reap)).rejects.toThrow(
      'no adapter was built for generic, which the templates serve: nothing reaped',
    );
    expect(await provisionRequest(requestId, lazily(twins).provision)).toMatchObject({ kind: 'provisioned' });
  });

  it('a load that fails with a CI error that says it is for good is still one that may heal: the removal keeps the agent', async () => {
    const twins = createTwins();
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    const record = (await twins.state.requests.get(requestId))!;
    const lazy = lazily(twins, new CiRejectedError('bad settings'));
    const removal = await removeAgentOf(lazy.provision, record, { agentName: record.podName!, labels: [] });
    expect(removal).toMatchObject({ kind: 'kept', error: { retryable: true } });
  });

  it("ops cancel over a registry that lacks a configured CI's adapter refuses, and changes nothing", async () => {
    const twins = createTwins();
    const ci = namedCi(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    const podName = (await twins.state.requests.get(requestId))!.podName!;
    runPod(twins, podName);
    const ops: OpsPorts = { ...twins.ops, sources: {}, loadSources: () => Promise.resolve() };
    await expect(runOpsAction({ action: 'cancel', requestId, confirm: true }, ops)).rejects.toThrow(
      'no adapter was built for generic, which the templates serve: nothing cancelled',
    );
    expect(ci.registered.has(podName)).toBe(true);
    expect(livePods(twins)).toEqual([podName]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'provisioned' });
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
  });
});
