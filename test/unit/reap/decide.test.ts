import { templateSchema, configFileSchema } from '../../../shared/config';
import { decidePod, decideRecord, reapRulesFrom, type PodView } from '../../../shared/reap';
import { freeRequeueAttempts, retainedAgentRemovalSeconds } from '../../../shared/reap/decide';
import { queuedRecord } from '../../support/records';

const rules = reapRulesFrom(configFileSchema.shape.reaper.parse(undefined));
const now = Date.parse('2026-11-25T12:00:00Z');
const ago = (seconds: number): number => now - seconds * 1000;
const template = templateSchema.parse({
  name: 'gen',
  source: 'generic',
  labels: ['linux'],
  image: 'busybox',
  retries: 1,
  pendingTimeoutSeconds: 300,
  maxLifetimeSeconds: 3600,
  idleMinutes: 10,
});
const pod = (fields: Partial<PodView> = {}): PodView => ({
  name: 'pc-gen-1',
  requestId: 'r1',
  template: 'gen',
  source: 'generic',
  phase: 'Running',
  createdAtMs: ago(600),
  startedAtMs: ago(590),
  deleting: false,
  image: 'busybox',
  ...fields,
});
const active = queuedRecord('r1', {
  status: 'provisioned',
  podName: 'pc-gen-1',
  template: 'gen',
  holdsSlot: true,
  attempts: 1,
});

describe('decidePod', () => {
  it('keeps a healthy running agent', () => {
    expect(decidePod(pod(), active, template, now, rules)).toEqual({ kind: 'keep' });
  });

  it('deletes the pod of an ended build at once: the grace is for pods about to be recorded', () => {
    const cancelled = { ...active, status: 'cancelled' as const, holdsSlot: false };
    expect(decidePod(pod({ createdAtMs: ago(5) }), cancelled, template, now, rules)).toMatchObject({
      kind: 'delete',
      reason: 'orphan',
      message: 'its build is cancelled',
      outcome: 'none',
    });
    expect(decidePod(pod({ createdAtMs: ago(5) }), undefined, template, now, rules)).toEqual({
      kind: 'keep',
    });
  });

  it('deletes, after the grace, a running pod whose request is waiting for a slot (it runs outside the caps)', () => {
    const waiting = { ...active, status: 'waiting' as const, holdsSlot: false };
    expect(decidePod(pod({ createdAtMs: ago(121) }), waiting, template, now, rules)).toMatchObject({
      kind: 'delete',
      reason: 'orphan',
      message: 'its build is waiting',
    });
    expect(decidePod(pod({ createdAtMs: ago(30) }), waiting, template, now, rules)).toEqual({ kind: 'keep' });
  });

  it.each(['queued', 'started'] as const)(
    'deletes, after the grace, a running pod whose %s request holds no slot (bug 33: it runs outside the caps)',
    (status) => {
      const slotless = { ...active, status, holdsSlot: false };
      expect(decidePod(pod({ createdAtMs: ago(121) }), slotless, template, now, rules)).toMatchObject({
        kind: 'delete',
        reason: 'orphan',
        message: `its build is ${status}`,
      });
      expect(decidePod(pod({ createdAtMs: ago(30) }), slotless, template, now, rules)).toEqual({
        kind: 'keep',
      });
      // Holding its slot, the same pod is its agent.
      expect(
        decidePod(pod({ createdAtMs: ago(121) }), { ...slotless, holdsSlot: true }, template, now, rules)
          .kind,
      ).toBe('keep');
    },
  );

  it('leaves a pod that is already being deleted', () => {
    expect(decidePod(pod({ phase: 'Succeeded', deleting: true }), active, template, now, rules)).toEqual({
      kind: 'keep',
    });
  });

  it('deletes a finished pod and completes or fails its build by the exit', () => {
    expect(
      decidePod(pod({ phase: 'Succeeded', finishedAtMs: ago(5) }), active, template, now, rules),
    ).toMatchObject({ kind: 'delete', reason: 'finished', outcome: 'completed' });
    expect(
      decidePod(
        pod({ phase: 'Failed', finishedAtMs: ago(5), exitCode: 2, exitReason: 'Error' }),
        active,
        template,
        now,
        rules,
      ),
    ).toEqual({
      kind: 'delete',
      reason: 'finished',
      message: 'the agent exited with code 2 (Error)',
      outcome: 'failed',
      // A runner that failed may fail every time: its build uses a retry if the CI still waits.
      ifWaiting: 'retry',
    });
  });

  // A runner takes any job its labels fit: one that finished before the CI said its build started
  // may have run another job, so the reaper asks the CI whether it still waits to run this one.
  it('asks whether the CI still waits to run a finished pod’s build only when it never started', () => {
    const finished = pod({ phase: 'Succeeded', finishedAtMs: ago(5) });
    expect(decidePod(finished, active, template, now, rules)).toMatchObject({
      outcome: 'completed',
      ifWaiting: 'requeue',
    });
    const provisioning = { ...active, status: 'provisioning' as const };
    expect(decidePod(finished, provisioning, template, now, rules)).toMatchObject({ ifWaiting: 'requeue' });
    const started = { ...active, status: 'started' as const };
    expect(decidePod(finished, started, template, now, rules)).not.toHaveProperty('ifWaiting');
    const ending = { ...active, status: 'ending' as const, endAs: 'cancelled' as const };
    expect(decidePod(finished, ending, template, now, rules)).toMatchObject({ outcome: 'cancelled' });
    expect(decidePod(finished, ending, template, now, rules)).not.toHaveProperty('ifWaiting');
  });

  // A Jenkins agent runs builds until it is removed: a clean exit before its build is no sign that
  // it ran another job, and queueing it again for free could make a pod a minute for a day (a review,
  // 2026-12-06).
  it('asks with a retry when a Jenkins agent exited, cleanly or not, before its build', () => {
    const jenkins = { ...active, source: 'jenkins' as const };
    for (const phase of ['Succeeded', 'Failed'] as const)
      expect(
        decidePod(pod({ phase, finishedAtMs: ago(5), source: 'jenkins' }), jenkins, template, now, rules),
      ).toMatchObject({ ifWaiting: 'retry' });
  });

  // A GitLab runner that never reaches GitLab exits cleanly after --wait-timeout, each time: without
  // a bound its build went again for free every eleven minutes for a day.
  it('asks with a retry, not a free requeue, once the request has had freeRequeueAttempts attempts', () => {
    const finished = pod({ phase: 'Succeeded', finishedAtMs: ago(5) });
    const many = { ...active, attempts: freeRequeueAttempts - 1 };
    expect(decidePod(finished, many, template, now, rules)).toMatchObject({ ifWaiting: 'requeue' });
    expect(
      decidePod(finished, { ...many, attempts: freeRequeueAttempts }, template, now, rules),
    ).toMatchObject({
      ifWaiting: 'retry',
    });
  });

  it('asks with a retry, not a free requeue, once a wait may be over, or when its runner failed', () => {
    const finished = pod({ phase: 'Succeeded', finishedAtMs: ago(5) });
    const old = { ...active, createdAt: new Date(now - rules.maxWaitHours * 3_600_000).toISOString() };
    expect(decidePod(finished, old, template, now, rules)).toMatchObject({ ifWaiting: 'retry' });
    const spent = { ...old, retriesUsed: template.retries };
    expect(decidePod(finished, spent, template, now, rules)).toMatchObject({ ifWaiting: 'failed' });
    const failedPod = pod({ phase: 'Failed', finishedAtMs: ago(5) });
    expect(
      decidePod(failedPod, { ...active, retriesUsed: template.retries }, template, now, rules),
    ).toMatchObject({ outcome: 'failed', ifWaiting: 'failed' });
  });

  it('keeps finished pods as long as the retention policy says, removing their agents at first', () => {
    const onFailure = { ...template, retention: { policy: 'onFailure' as const, minutes: 30 } };
    // Its agent goes at once (bug 69), asked at each run for retainedAgentRemovalSeconds.
    expect(decidePod(pod({ phase: 'Failed', finishedAtMs: ago(60) }), active, onFailure, now, rules)).toEqual(
      { kind: 'keep', removeAgent: true },
    );
    expect(
      decidePod(
        pod({ phase: 'Failed', finishedAtMs: ago(retainedAgentRemovalSeconds) }),
        active,
        onFailure,
        now,
        rules,
      ),
    ).toEqual({ kind: 'keep' });
    expect(
      decidePod(pod({ phase: 'Failed', finishedAtMs: ago(31 * 60) }), active, onFailure, now, rules),
    ).toMatchObject({ kind: 'delete' });
    expect(
      decidePod(pod({ phase: 'Succeeded', finishedAtMs: ago(60) }), active, onFailure, now, rules),
    ).toMatchObject({ kind: 'delete' });
    const always = { ...template, retention: { policy: 'always' as const, minutes: 30 } };
    expect(decidePod(pod({ phase: 'Succeeded', finishedAtMs: ago(60) }), active, always, now, rules)).toEqual(
      { kind: 'keep', removeAgent: true },
    );
  });

  it('gives up on an image that cannot be pulled after the grace, naming the image, and retries the build', () => {
    const stuck = pod({
      phase: 'Pending',
      createdAtMs: ago(61),
      waitingReason: 'ErrImagePull',
      image: 'foo:bar',
    });
    expect(decidePod(stuck, active, template, now, rules)).toEqual({
      kind: 'delete',
      reason: 'stuck',
      message:
        "image `foo:bar` cannot be pulled (ErrImagePull): check the template's image and registry credentials",
      outcome: 'retry',
    });
    expect(decidePod({ ...stuck, createdAtMs: ago(30) }, active, template, now, rules)).toEqual({
      kind: 'keep',
    });
  });

  it('fails instead of retrying once the template retries are used up', () => {
    const stuck = pod({ phase: 'Pending', createdAtMs: ago(61), waitingReason: 'ImagePullBackOff' });
    expect(decidePod(stuck, { ...active, retriesUsed: 1 }, template, now, rules)).toMatchObject({
      outcome: 'failed',
    });
  });

  it('does not count SQS redeliveries against the template retries', () => {
    const stuck = pod({ phase: 'Pending', createdAtMs: ago(61), waitingReason: 'ImagePullBackOff' });
    expect(decidePod(stuck, { ...active, attempts: 4, retriesUsed: 0 }, template, now, rules)).toMatchObject({
      outcome: 'retry',
    });
  });

  it('deletes a pod Pending past the template timeout, with the scheduler message', () => {
    const pending = pod({
      phase: 'Pending',
      createdAtMs: ago(301),
      unschedulableMessage: '0/3 nodes are available: 3 Insufficient cpu.',
    });
    expect(decidePod(pending, active, template, now, rules)).toMatchObject({
      reason: 'stuck',
      message: expect.stringContaining('Insufficient cpu'),
    });
  });

  it('deletes a pod running past its maximum lifetime and fails the build', () => {
    expect(decidePod(pod({ startedAtMs: ago(3601) }), active, template, now, rules)).toMatchObject({
      kind: 'delete',
      reason: 'too-old',
      outcome: 'failed',
    });
  });

  it('deletes an orphan after the grace, never a young one', () => {
    expect(decidePod(pod({ createdAtMs: ago(121) }), undefined, template, now, rules)).toMatchObject({
      kind: 'delete',
      reason: 'orphan',
      outcome: 'none',
    });
    expect(decidePod(pod({ createdAtMs: ago(30) }), undefined, template, now, rules)).toEqual({
      kind: 'keep',
    });
    expect(decidePod(pod(), { ...active, status: 'completed' }, template, now, rules)).toMatchObject({
      reason: 'orphan',
      message: 'its build is completed',
    });
  });

  it('checks a Jenkins agent is idle before deleting it, whether orphaned or never used', () => {
    const jenkins = { ...template, source: 'jenkins' as const };
    expect(
      decidePod(pod({ source: 'jenkins', createdAtMs: ago(121) }), undefined, jenkins, now, rules),
    ).toMatchObject({ kind: 'delete-if-idle', reason: 'orphan' });
    expect(
      decidePod(pod({ source: 'jenkins', startedAtMs: ago(601) }), active, jenkins, now, rules),
    ).toMatchObject({
      kind: 'delete-if-idle',
      reason: 'idle',
    });
    // Before idleMinutes only one that ran another build goes (below); kept while in rotation.
    expect(
      decidePod(pod({ source: 'jenkins', startedAtMs: ago(599) }), active, jenkins, now, rules),
    ).toMatchObject({ kind: 'delete-if-idle', onlyRetired: true });
    expect(decidePod(pod({ source: 'jenkins', startedAtMs: ago(59) }), active, jenkins, now, rules)).toEqual({
      kind: 'keep',
    });
    // One build per agent: a started build's agent goes once idle, after a short grace (it is handed
    // the build as the CI says the build started), ending the request as completed.
    const startedFor = (seconds: number) => ({
      ...active,
      status: 'started' as const,
      statusSince: new Date(ago(seconds)).toISOString(),
    });
    expect(decidePod(pod({ source: 'jenkins' }), startedFor(59), jenkins, now, rules)).toEqual({
      kind: 'keep',
    });
    // Once it ran its build and is out of rotation; a merely idle one is a spare: its build ran on
    // another agent, whose own build may take this one.
    expect(decidePod(pod({ source: 'jenkins' }), startedFor(61), jenkins, now, rules)).toEqual({
      kind: 'delete-if-idle',
      reason: 'ended',
      message: 'ran its build',
      outcome: 'completed',
      onlyRetired: true,
    });
    // A spare nobody's build came to goes after idleMinutes, as a provisioned one does.
    expect(decidePod(pod({ source: 'jenkins' }), startedFor(601), jenkins, now, rules)).toEqual({
      kind: 'delete-if-idle',
      reason: 'idle',
      message: 'no build started on it within 10 minutes',
      outcome: 'completed',
      onlyRetired: false,
    });
    // A provisioned build whose agent ran another build (out of rotation, idle): it gets another agent.
    expect(decidePod(pod({ source: 'jenkins', startedAtMs: ago(61) }), active, jenkins, now, rules)).toEqual({
      kind: 'delete-if-idle',
      reason: 'ended',
      message: 'ran another build; this one gets another agent',
      outcome: 'requeue',
      onlyRetired: true,
    });
    // Not for a CI whose agent ends with its build: the pod's own exit says so.
    expect(decidePod(pod(), startedFor(3000), template, now, rules)).toEqual({ kind: 'keep' });
  });
});

describe('decidePod for an ending request', () => {
  const ending = { ...active, status: 'ending' as const, endAs: 'cancelled' as const };

  it('removes the agent of a build the CI ended, ending it as the CI said', () => {
    expect(decidePod(pod(), ending, template, now, rules)).toEqual({
      kind: 'delete',
      reason: 'ended',
      message: 'the CI cancelled the build',
      outcome: 'cancelled',
    });
  });

  it('checks a Jenkins agent is idle first', () => {
    expect(decidePod(pod({ source: 'jenkins' }), ending, template, now, rules)).toEqual({
      kind: 'delete-if-idle',
      reason: 'ended',
      message: 'the CI cancelled the build',
      outcome: 'cancelled',
    });
  });

  it("takes a Jenkins agent an operator cancelled whether idle or not, with the operator's reason", () => {
    const cancelled = { ...ending, endReason: 'cancelled by an operator' };
    expect(decidePod(pod({ source: 'jenkins' }), cancelled, template, now, rules)).toEqual({
      kind: 'delete',
      reason: 'ended',
      message: 'cancelled by an operator',
      outcome: 'cancelled',
    });
  });

  it('takes the word of the CI over the exit of the agent for a finished pod', () => {
    expect(
      decidePod(pod({ phase: 'Failed', finishedAtMs: ago(5) }), ending, template, now, rules),
    ).toMatchObject({ kind: 'delete', reason: 'finished', outcome: 'cancelled' });
  });

  it('gives the slot back when the agent is already gone', () => {
    expect(decideRecord(ending, false, template, now, rules)).toEqual({
      kind: 'ended',
      outcome: 'cancelled',
    });
    expect(decideRecord(ending, true, template, now, rules)).toEqual({ kind: 'keep' });
  });
});

describe('decideRecord', () => {
  it('marks a provisioned request whose pod vanished as lost and retries it', () => {
    expect(
      decideRecord({ ...active, statusSince: new Date(ago(61)).toISOString() }, false, template, now, rules),
    ).toEqual({ kind: 'lost', outcome: 'retry' });
  });

  it('leaves a just-provisioned request whose pod the list may not show yet', () => {
    expect(
      decideRecord({ ...active, statusSince: new Date(ago(10)).toISOString() }, false, template, now, rules),
    ).toEqual({ kind: 'keep' });
  });

  it('leaves a tombstone alone: it never had a pod to lose', () => {
    const tombstone = queuedRecord('t', {
      status: 'started',
      tombstone: true,
      statusSince: new Date(ago(3600)).toISOString(),
    });
    expect(decideRecord(tombstone, false, template, now, rules)).toEqual({ kind: 'keep' });
  });

  it('sends a stale queued request again', () => {
    expect(
      decideRecord(
        queuedRecord('q', { statusSince: new Date(ago(901)).toISOString() }),
        false,
        template,
        now,
        rules,
      ),
    ).toEqual({ kind: 'resend' });
  });

  it('sends a stale provisioning request whose pod exists again, so provisioning adopts the pod', () => {
    const provisioning = queuedRecord('p', {
      status: 'provisioning',
      holdsSlot: true,
      podName: 'pc-gen-p',
      statusSince: new Date(ago(901)).toISOString(),
    });
    expect(decideRecord(provisioning, true, template, now, rules)).toEqual({ kind: 'resend' });
    expect(
      decideRecord(
        { ...provisioning, statusSince: new Date(ago(30)).toISOString() },
        true,
        template,
        now,
        rules,
      ),
    ).toEqual({ kind: 'keep' });
  });

  it('takes a stale provisioning request with no pod for lost only once no attempt holds it', () => {
    const provisioning = queuedRecord('p', {
      status: 'provisioning',
      holdsSlot: true,
      podName: 'pc-gen-p',
      statusSince: new Date(ago(901)).toISOString(),
    });
    expect(decideRecord(provisioning, false, template, now, rules)).toMatchObject({ kind: 'lost' });
    // An attempt that resumed it and still holds it may yet register its agent: taken over, nothing
    // would remove that agent, whose name no later attempt gives again (bug 57).
    expect(
      decideRecord({ ...provisioning, attemptUntilMs: now + 10_000 }, false, template, now, rules),
    ).toEqual({ kind: 'keep' });
    expect(
      decideRecord({ ...provisioning, attemptUntilMs: now - 1 }, false, template, now, rules),
    ).toMatchObject({ kind: 'lost' });
  });
});

describe('decideRecord: requests that waited too long', () => {
  const recorded = (hoursAgo: number, fields: Parameters<typeof queuedRecord>[1] = {}) =>
    queuedRecord('x', {
      createdAt: new Date(ago(hoursAgo * 3600)).toISOString(),
      statusSince: new Date(ago(60)).toISOString(),
      ...fields,
    });

  it('expires a queued request recorded more than maxWaitHours ago', () => {
    expect(rules.maxWaitHours).toBe(24);
    expect(decideRecord(recorded(24), false, template, now, rules)).toEqual({
      kind: 'expire',
      reason: 'expired: no agent within 24 h of being queued (reaper.maxWaitHours)',
    });
  });

  it('expires a waiting request the same way, however recently it was put back to waiting', () => {
    expect(
      decideRecord(recorded(30, { status: 'waiting', template: 'gen' }), false, template, now, rules),
    ).toMatchObject({ kind: 'expire' });
  });

  it('measures from when the request was recorded, not from its last move', () => {
    const young = recorded(23.9, { statusSince: new Date(ago(20 * 3600)).toISOString() });
    expect(decideRecord(young, false, template, now, rules)).toEqual({ kind: 'resend' });
    expect(decideRecord({ ...young, status: 'waiting' }, false, template, now, rules)).toEqual({
      kind: 'keep',
    });
  });

  it('measures a request an operator queued again (retry, redrive) from then', () => {
    const requeued = recorded(48, { requeuedAt: new Date(ago(3600)).toISOString() });
    expect(decideRecord(requeued, false, template, now, rules)).toEqual({ kind: 'keep' });
    const longAgo = recorded(72, { requeuedAt: new Date(ago(25 * 3600)).toISOString() });
    expect(decideRecord(longAgo, false, template, now, rules)).toMatchObject({ kind: 'expire' });
  });

  it('follows the setting', () => {
    const hourly = { ...rules, maxWaitHours: 1 };
    expect(decideRecord(recorded(1), false, template, now, hourly)).toMatchObject({
      kind: 'expire',
      reason: 'expired: no agent within 1 h of being queued (reaper.maxWaitHours)',
    });
    expect(decideRecord(recorded(0.5), false, template, now, hourly)).toEqual({ kind: 'keep' });
  });

  it('never expires a request that has an agent or is being given one', () => {
    for (const status of ['provisioning', 'provisioned', 'started', 'ending'] as const) {
      const old = recorded(48, { status, holdsSlot: true, podName: 'pc-gen-x', template: 'gen' });
      expect({ status, decision: decideRecord(old, true, template, now, rules) }).toEqual({
        status,
        decision: { kind: 'keep' },
      });
    }
  });

  it('leaves an old tombstone alone', () => {
    expect(decideRecord(recorded(48, { tombstone: true }), false, template, now, rules)).toEqual({
      kind: 'keep',
    });
  });
});

describe('the reaper settings', () => {
  it('default maxWaitHours to 24 and refuse less than one hour or a fraction', () => {
    expect(configFileSchema.shape.reaper.parse({}).maxWaitHours).toBe(24);
    expect(configFileSchema.shape.reaper.parse({ maxWaitHours: 2 }).maxWaitHours).toBe(2);
    for (const maxWaitHours of [0, -1, 1.5])
      expect(configFileSchema.shape.reaper.safeParse({ maxWaitHours }).success).toBe(false);
  });
});
