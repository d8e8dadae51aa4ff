import { provisionRequest, type ProvisionPorts, type VersionedSettings } from '../../../shared/provision';
import { podNameFor } from '../../../shared/requests/identity';
import { pitcrewLabels } from '../../../shared/templates/labels';
import { receiveWebhook } from '../../../shared/webhook';
import { createTwins, genericDelivery, livePods, slots, type Twins } from './twins';

/**
 * A new request's message carries its record (shared/queue/messages.ts), and provision takes its slot
 * on it without reading (shared/provision/steps/snapshot-start.ts) only while the record and the
 * settings are what the snapshot and the cache say; anything else reads first, as without one.
 */
describe('provisioning from a message snapshot, on the twins', () => {
  let twins: Twins;
  let reads: string[];
  let latest: VersionedSettings | undefined;
  let ports: ProvisionPorts;

  /** The message the webhook sent for a queued delivery of `jobId`. */
  async function queued(jobId: string, labels = ['linux']) {
    const outcome = await receiveWebhook(genericDelivery(twins, 'queued', jobId, { labels }), twins.webhook);
    if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
    const message = twins.queue.whole.find((sent) => sent.requestId === outcome.requestId);
    if (!message?.snapshot) throw new Error('the message carries no snapshot');
    return { requestId: outcome.requestId, snapshot: message.snapshot };
  }

  beforeEach(() => {
    twins = createTwins();
    reads = [];
    latest = { settings: { drained: false, templateCaps: {} }, version: 0 };
    const { requests, settings } = twins.provision;
    // The reads the flow makes, counted: the snapshot's way makes none.
    ports = {
      ...twins.provision,
      requests: {
        ...requests,
        get: (requestId) => (reads.push('get'), requests.get(requestId)),
        getMany: (requestIds) => (reads.push('getMany'), requests.getMany(requestIds)),
      },
      settings: { get: () => (reads.push('settings'), settings.get()) },
      latestSettings: () => latest,
    };
  });

  it('takes the slot and makes the agent without reading the request or the settings', async () => {
    const { requestId, snapshot } = await queued('build-1');
    const podName = podNameFor('gen', requestId);
    expect(await provisionRequest(requestId, ports, false, { snapshot })).toMatchObject({
      kind: 'provisioned',
      podName,
    });
    expect(reads).toEqual([]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      holdsSlot: true,
      podName,
      attempts: 1,
    });
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    expect(livePods(twins)).toEqual([podName]);
  });

  it("never takes a slot for a request its template's from leaves out: it reads, and fails it", async () => {
    // The config refuses `from` for the generic CI, whose records name no origin; kept in memory,
    // it must leave every generic build out (fail closed), as a `from` added since would.
    const kept = {
      ...ports,
      config: {
        ...ports.config,
        templates: ports.config.templates.map((t) => (t.name === 'gen' ? { ...t, from: ['acme/*'] } : t)),
      },
    };
    const { requestId, snapshot } = await queued('build-1');
    expect(await provisionRequest(requestId, kept, false, { snapshot })).toEqual({
      kind: 'failed',
      reason:
        "template 'gen' serves only builds from acme/*, and this build is from an origin its record does not name",
    });
    expect(reads).toEqual(['get', 'settings']);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed', holdsSlot: false });
    expect(await slots(twins)).toEqual({ global: 0, templates: {} });
    expect(livePods(twins)).toEqual([]);
  });

  it('reads first when no settings were read yet, as a cold container does', async () => {
    latest = undefined;
    const { requestId, snapshot } = await queued('build-1');
    expect(await provisionRequest(requestId, ports, false, { snapshot })).toMatchObject({
      kind: 'provisioned',
    });
    expect(reads).toEqual(['get', 'settings']);
  });

  it('reads first when the settings moved since, and keeps to what they say now (drained)', async () => {
    const { requestId, snapshot } = await queued('build-1');
    await twins.state.settings.update((current) => ({ ...current, drained: true }));
    expect(await provisionRequest(requestId, ports, false, { snapshot })).toEqual({
      kind: 'waiting',
      reason: 'provisioning is drained',
    });
    expect(reads).toEqual(['get', 'settings']);
    expect(await slots(twins)).toEqual({ global: 0, templates: {} });
    expect(livePods(twins)).toEqual([]);
  });

  it('reads first when a cap the operator lowered since would refuse, and the request waits', async () => {
    const { requestId, snapshot } = await queued('build-1');
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { gen: 0 } }));
    expect(await provisionRequest(requestId, ports, false, { snapshot })).toEqual({
      kind: 'waiting',
      reason: "at the 'gen' cap",
    });
    expect(livePods(twins)).toEqual([]);
  });

  it('never acts on an altered snapshot: the stored record decides, read first', async () => {
    const { requestId, snapshot } = await queued('build-1');
    // Another template, with a larger cap and other labels: what a forged message might ask for.
    const altered = { ...snapshot, template: 'big', labels: ['big'] };
    const outcome = await provisionRequest(requestId, ports, false, { snapshot: altered });
    expect(outcome).toMatchObject({ kind: 'provisioned', podName: podNameFor('gen', requestId) });
    expect(reads).toEqual(['get', 'settings']);
    const pod = twins.agents.pod(twins.namespace, podNameFor('gen', requestId));
    expect(pod?.metadata?.labels?.[pitcrewLabels.template]).toBe('gen');
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
  });

  it("ignores a snapshot of another request, or one that is no record, and reads the message's own", async () => {
    const first = await queued('build-1');
    const second = await queued('build-2', ['big']);
    expect(
      await provisionRequest(second.requestId, ports, false, { snapshot: first.snapshot }),
    ).toMatchObject({ kind: 'provisioned', podName: podNameFor('big', second.requestId) });
    expect(
      await provisionRequest(first.requestId, ports, false, { snapshot: { status: 'queued' } }),
    ).toMatchObject({ kind: 'provisioned', podName: podNameFor('gen', first.requestId) });
    expect(reads).toEqual(['get', 'settings', 'get', 'settings']);
  });

  it('a redelivered message takes no second slot: the record moved on, so it reads and skips', async () => {
    const { requestId, snapshot } = await queued('build-1');
    await provisionRequest(requestId, ports, false, { snapshot });
    reads = [];
    expect(await provisionRequest(requestId, ports, false, { snapshot })).toMatchObject({
      kind: 'skipped',
    });
    expect(reads).toEqual(['get', 'settings']);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    expect(livePods(twins)).toHaveLength(1);
  });
});
