import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { readQueueDepth } from '../../../shared/queue';
import { createCapacityStore } from '../../../shared/state';
import { keys } from '../../../shared/state/keys';
import { importHandler } from '../../support/handlers';
import { lambdaContext } from '../../../infra/local/stand-ins/lambda';
import { captureOutput } from '../../support/log-capture';
import { phaseIs, waitForPod } from '../../support/kube';
import { steerPod } from '../../../infra/local/kube/steer';
import {
  genericTemplate as gen,
  startProvisioningSystem,
  type ProvisioningSystem,
} from '../../support/provisioning';

type Ops = (event: unknown, context: unknown) => Promise<Record<string, unknown>>;

describe('the ops function, each action against the real servers', () => {
  let system: ProvisioningSystem;
  let ops: Ops;
  let delivery = 0;

  beforeAll(async () => {
    system = await startProvisioningSystem({
      reaper: { orphanGraceSeconds: 0, stuckGraceSeconds: 0, lostGraceSeconds: 0, staleQueuedSeconds: 3600 },
      templates: [
        gen('gen-linux', ['linux'], { instanceCap: 20 }),
        gen('gen-capped', ['capped'], { instanceCap: 3 }),
        gen('gen-stuck', ['stuck'], {
          retries: 0,
          podYaml: 'metadata:\n  annotations:\n    kwok.pitcrew.dev/waiting-reason: ErrImagePull\n',
        }),
      ],
    });
    ops = (await importHandler('ops', system.env)).handler as unknown as Ops;
  }, 180_000);
  afterAll(() => system.close());

  const run = (event: Record<string, unknown>) => ops(event, lambdaContext('ops'));
  const failure = (event: Record<string, unknown>) =>
    run(event).then(
      (result) => {
        throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
      },
      (error: Error) => error,
    );
  async function queue(id: string, labels = ['linux']): Promise<string> {
    delivery += 1;
    const answer = await system.sendWebhook(
      'generic',
      { action: 'queued', job: { id, labels } },
      { 'x-pitcrew-delivery': `ops-${delivery}` },
    );
    expect(answer.statusCode).toBe(202);
    return String(answer.body.requestId);
  }

  it('status: counts by state, caps and usage, pods, queue and DLQ depth, oldest waiting', async () => {
    const running = await queue('st-1');
    await system.provisionAll();
    const queued = await queue('st-2');
    const status = await run({ action: 'status' });
    expect(status).toMatchObject({
      action: 'status',
      drained: false,
      requests: { provisioned: 1, queued: 1, failed: 0 },
      caps: {
        global: { cap: 100, configured: 100, used: 1 },
        templates: { 'gen-linux': { cap: 20, used: 1, pods: 1 }, 'gen-capped': { cap: 3, used: 0 } },
      },
      queue: { visible: 1 },
      deadLetterQueue: { visible: 0 },
    });
    expect(Object.values(status.podsByPhase as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(1);
    expect(status.oldestWaiting).toBeUndefined();
    await system.provisionAll();
    await run({ action: 'cancel', requestId: running, confirm: true });
    await run({ action: 'cancel', requestId: queued, confirm: true });
  });

  it('list: filters by state, template and source, and pages with a cursor', async () => {
    const ids = [await queue('ls-1'), await queue('ls-2'), await queue('ls-3')];
    const first = await run({ action: 'list', status: 'queued', template: 'gen-linux', limit: 2 });
    expect((first.items as { requestId: string }[]).map((item) => item.requestId)).toEqual(ids.slice(0, 2));
    expect(typeof first.next).toBe('string');
    const second = await run({ action: 'list', status: 'queued', limit: 2, cursor: first.next });
    expect((second.items as { requestId: string }[]).map((item) => item.requestId)).toEqual(ids.slice(2));
    expect(second.next).toBeUndefined();
    expect((await run({ action: 'list', source: 'github', status: 'queued' })).items).toEqual([]);
    expect((await run({ action: 'list', template: 'gen-capped', status: 'queued' })).items).toEqual([]);

    const badCursor = await failure({ action: 'list', cursor: 'not-a-cursor' });
    expect(badCursor.name).toBe('OpsInputError');
    expect(badCursor.message).toMatch(/'cursor'/);
    // A well-formed cursor whose key is not a request's (here the caps' counter) is refused as input,
    // before it reaches DynamoDB as the query's start.
    const given = JSON.parse(Buffer.from(String(first.next), 'base64url').toString('utf8')) as {
      key: Record<string, string>;
    };
    for (const key of [
      { ...given.key, pk: 'capacity', sk: 'global' },
      { ...given.key, extra: 'x' },
    ]) {
      const madeUp = Buffer.from(JSON.stringify({ ...given, key })).toString('base64url');
      const refused = await failure({ action: 'list', status: 'queued', cursor: madeUp });
      expect({ name: refused.name, message: refused.message }).toMatchObject({
        name: 'OpsInputError',
        message: expect.stringMatching(/'cursor' is not a cursor that list gave out/),
      });
    }
    await system.provisionAll();
    for (const id of ids) await run({ action: 'cancel', requestId: id, confirm: true });
  });

  it('describe: the record with its pod phase and events; an unknown id is not found', async () => {
    const requestId = await queue('ds-1');
    await system.provisionAll();
    const record = await system.requests.get(requestId);
    await waitForPod(system.core, system.namespace, record!.podName!, phaseIs('Running'));
    const described = await run({ action: 'describe', requestId });
    expect(described).toMatchObject({
      request: { requestId, status: 'provisioned', template: 'gen-linux' },
      pod: { name: record!.podName, phase: 'Running' },
    });
    // The scheduler's event about this pod, read with the events list (not a guess).
    expect((described.events as { reason?: string }[]).map((event) => event.reason)).toContain('Scheduled');

    const missing = await failure({ action: 'describe', requestId: 'generic-nope' });
    expect(missing.name).toBe('OpsNotFoundError');
    expect(missing.message).toMatch(/no request 'generic-nope'/);
    await run({ action: 'cancel', requestId, confirm: true });
  });

  it('drain stops new pods while requests wait; resume lets them through', async () => {
    expect(await run({ action: 'drain', confirm: true })).toMatchObject({ drained: true, wasDrained: false });
    const requestId = await queue('dr-1');
    await system.provisionAll();
    expect(await system.requests.get(requestId)).toMatchObject({
      status: 'waiting',
      reason: 'provisioning is drained',
    });
    // The reaper leaves waiting work alone while drained.
    await system.reapNow();
    expect((await system.requests.get(requestId))?.status).toBe('waiting');
    expect((await run({ action: 'status' })).drained).toBe(true);

    expect(await run({ action: 'resume' })).toMatchObject({ drained: false, wasDrained: true, woken: 1 });
    await system.provisionAll();
    expect((await system.requests.get(requestId))?.status).toBe('provisioned');
    await run({ action: 'cancel', requestId, confirm: true });
  });

  it('reconcile runs the reaper now and returns what it did', async () => {
    const requestId = await queue('rc-1');
    await system.provisionAll();
    const podName = (await system.requests.get(requestId))!.podName!;
    await steerPod(system.core, system.namespace, podName, { outcome: 'succeeded' });
    await waitForPod(system.core, system.namespace, podName, phaseIs('Succeeded'));
    const answer = await run({ action: 'reconcile' });
    expect(answer).toMatchObject({ action: 'reconcile', report: { deleted: { finished: 1 } } });
    expect((await system.requests.get(requestId))?.status).toBe('completed');
  });

  it('cancel deletes the pod, frees the slot, ends the request, and refuses a second time', async () => {
    const capacity = createCapacityStore(system.db, system.resources.tableName);
    const requestId = await queue('cn-1');
    await system.provisionAll();
    const podName = (await system.requests.get(requestId))!.podName!;
    const before = (await capacity.readCounters()).templates['gen-linux'] ?? 0;

    expect(await run({ action: 'cancel', requestId, confirm: true })).toMatchObject({
      status: 'cancelled',
      podDeleted: podName,
      freedSlot: true,
    });
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'cancelled', holdsSlot: false });
    expect((await capacity.readCounters()).templates['gen-linux']).toBe(before - 1);
    const pods = await system.listPods();
    expect(pods.filter((pod) => pod.metadata?.name === podName && !pod.metadata.deletionTimestamp)).toEqual(
      [],
    );

    const again = await failure({ action: 'cancel', requestId, confirm: true });
    expect(again.name).toBe('OpsConflictError');
    expect(again.message).toMatch(/already cancelled/);
  });

  // Bug 45 on the real table: an attempt is making the agent (its slot taken, its time running), as
  // a provision function that reserved and is now at the CI or the API server would leave it.
  it('cancel while an attempt makes the agent keeps the slot for it; the reaper finishes once its time is out', async () => {
    const capacity = createCapacityStore(system.db, system.resources.tableName);
    const requestId = await queue('cn-attempt');
    const before = await capacity.readCounters();
    expect(
      await capacity.reserve({
        requestId,
        template: 'gen-linux',
        podName: `pc-attempt-${requestId}`,
        attempts: 0,
        globalCap: 100,
        templateCap: 20,
        attemptSeconds: 2,
      }),
    ).toEqual({ reserved: true });

    expect(await run({ action: 'cancel', requestId, confirm: true })).toEqual({
      action: 'cancel',
      requestId,
      status: 'ending',
      freedSlot: false,
      woken: 0,
    });
    expect(await system.requests.get(requestId)).toMatchObject({
      status: 'ending',
      endAs: 'cancelled',
      holdsSlot: true,
      endReason: 'cancelled by an operator',
    });
    expect((await capacity.readCounters()).templates['gen-linux']).toBe(
      (before.templates['gen-linux'] ?? 0) + 1,
    );
    // The attempt's time runs out with no pod made (it died): the reaper ends the build as the operator said.
    await sleep(2_100);
    expect(await run({ action: 'reconcile' })).toMatchObject({ report: { errors: 0 } });
    expect(await system.requests.get(requestId)).toMatchObject({
      status: 'cancelled',
      holdsSlot: false,
      reason: 'cancelled by an operator',
    });
    expect((await capacity.readCounters()).templates['gen-linux']).toBe(before.templates['gen-linux'] ?? 0);
  });

  /** A GitHub job of acme/app queued through the webhook: its request id. */
  async function queueGithub(jobId: number): Promise<string> {
    const body = {
      action: 'queued',
      workflow_job: {
        id: jobId,
        run_id: jobId,
        labels: ['self-hosted', 'linux'],
        created_at: new Date().toISOString(),
      },
      repository: { name: 'app', owner: { login: 'acme' }, private: true },
    };
    const answer = await system.sendWebhook('github', body, {
      'x-github-event': 'workflow_job',
      'x-github-delivery': `ops-gh-${jobId}`,
    });
    expect(answer.statusCode).toBe(202);
    return String(answer.body.requestId);
  }

  // The ops function builds the CI adapters on its first cancel or reconcile, not at cold start: this
  // cancel needs GitHub's, to take the runner off the repository.
  it('cancel of a GitHub build removes its runner at GitHub too', async () => {
    const requestId = await queueGithub(7301);
    await system.provisionAll();
    const podName = (await system.requests.get(requestId))!.podName!;
    expect(system.github.state.runners.map((runner) => runner.name)).toContain(podName);

    expect(await run({ action: 'cancel', requestId, confirm: true })).toMatchObject({
      status: 'cancelled',
      podDeleted: podName,
    });
    expect(system.github.state.runners.map((runner) => runner.name)).not.toContain(podName);
  });

  it('cancel of a build that never had an agent asks its CI about none, and says what the CI did when it had one', async () => {
    const requestId = await queueGithub(7302);
    // Still queued: no slot, no pod name, no runner. An empty name must not be looked up at the CI
    // (GitLab's lookup by description would match any runner without one).
    const calls = system.github.state.requests.length;
    const cancelled = await run({ action: 'cancel', requestId, confirm: true });
    expect(cancelled).toMatchObject({ status: 'cancelled', freedSlot: false });
    expect(cancelled).not.toHaveProperty('agent');
    expect(system.github.state.requests.slice(calls)).toEqual([]);

    // One with a runner: the answer says the CI forgot it.
    const withRunner = await queue('cn-agent');
    await system.provisionAll();
    expect(await run({ action: 'cancel', requestId: withRunner, confirm: true })).toMatchObject({
      status: 'cancelled',
      agent: 'forgotten',
    });
  });

  /** Until kwok reports its image cannot be pulled: the reaper keeps a pod that is merely Pending. */
  const pullFails = async (requestId: string): Promise<void> => {
    await waitForPod(
      system.core,
      system.namespace,
      (await system.requests.get(requestId))!.podName!,
      (pod) => pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull',
    );
  };

  it('retry puts a failed request back in the queue, and it gets a pod', async () => {
    const requestId = await queue('rt-1', ['stuck']);
    await system.provisionAll();
    await pullFails(requestId);
    await system.reapNow(); // stuck in ErrImagePull, no retries left: failed
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'failed' });
    const refusal = await failure({ action: 'retry', requestId: await queue('rt-2') });
    expect(refusal.name).toBe('OpsConflictError');

    expect(await run({ action: 'retry', requestId })).toMatchObject({ status: 'queued' });
    // Its wait starts anew: the reaper's maxWaitHours counts from requeuedAt.
    expect(await system.requests.get(requestId)).toMatchObject({
      status: 'queued',
      retriesUsed: 0,
      requeuedAt: expect.stringMatching(/^\d{4}-/),
    });
    await waitForDeletion(system, (await system.requests.get(requestId))!.podName!);
    await system.provisionAll();
    expect((await system.requests.get(requestId))?.status).toBe('provisioned');
  });

  it('redrive moves dead letters back: failed requests queued again, ended ones dropped, strangers left', async () => {
    const failed = await queue('rd-1', ['stuck']);
    await system.provisionAll();
    await pullFails(failed);
    await system.reapNow();
    expect((await system.requests.get(failed))?.status).toBe('failed');
    const ended = await queue('rd-2');
    await system.provisionAll();
    await run({ action: 'cancel', requestId: ended, confirm: true });
    const dlq = system.resources.dlqUrl;
    for (const body of [{ requestId: failed }, { requestId: ended }, 'not json'])
      await system.sqs.send(
        new SendMessageCommand({
          QueueUrl: dlq,
          MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      );

    const report = await run({ action: 'redrive', confirm: true });
    expect(report).toMatchObject({ redriven: 1, dropped: 1, unreadable: 1 });
    expect((await system.requests.get(failed))?.status).toBe('queued');
    const { Messages = [] } = await system.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: system.resources.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    expect(Messages.map((message) => message.Body)).toContain(JSON.stringify({ requestId: failed }));
    // The unreadable one is still there (invisible for a while), for a person to look at.
    expect((await readQueueDepth(system.sqs, dlq)).inFlight).toBe(1);
    const tooMany = await failure({ action: 'redrive', max: 0 });
    expect(tooMany.message).toMatch(/'max'/);
  });

  it('redrive and retry make no agent for a failed build the CI has ended since', async () => {
    const failed = await queue('rd-ended', ['stuck']);
    await system.provisionAll();
    await pullFails(failed);
    await system.reapNow();
    expect(await system.requests.get(failed)).toMatchObject({ status: 'failed' });
    // After the outage, its user cancelled the job at the CI.
    delivery += 1;
    const ended = await system.sendWebhook(
      'generic',
      { action: 'cancelled', job: { id: 'rd-ended', labels: ['stuck'] } },
      { 'x-pitcrew-delivery': `ops-${delivery}` },
    );
    expect(ended.statusCode).toBeLessThan(300);
    // Still failed, with the reason operators look for, and the CI's word beside it.
    const record = await system.requests.get(failed);
    expect(record).toMatchObject({ status: 'failed', ciEnded: 'cancelled' });
    expect(record?.reason).toBeDefined();
    const podName = record!.podName!;

    await system.sqs.send(
      new SendMessageCommand({
        QueueUrl: system.resources.dlqUrl,
        MessageBody: JSON.stringify({ requestId: failed }),
      }),
    );
    expect(await run({ action: 'redrive', confirm: true })).toMatchObject({ redriven: 0, dropped: 1 });
    expect(await system.requests.get(failed)).toMatchObject({ status: 'failed', ciEnded: 'cancelled' });
    const refused = await failure({ action: 'retry', requestId: failed });
    expect(refused.message).toMatch(
      /failed, and the CI has since cancelled its build: queue the build again from the CI/,
    );
    // The messages (the end event's, bug 60, and the redriven one) went on only so that provision
    // removes any agent left of it: no pod is made.
    expect(await system.provisionAll()).toEqual({ received: 2, failed: 0 });
    expect(await system.requests.get(failed)).toMatchObject({ status: 'failed' });
    expect(
      (await system.listPods()).filter(
        (pod) => pod.metadata?.name === podName && !pod.metadata.deletionTimestamp,
      ),
    ).toEqual([]);
  });

  it('caps: reads, sets a template cap at run time, wakes waiting work when raised, and undoes', async () => {
    expect(await run({ action: 'caps' })).toMatchObject({
      caps: { templates: { 'gen-capped': { cap: 3, configured: 3 } } },
    });
    expect(await run({ action: 'caps', template: 'gen-capped', cap: 1 })).toMatchObject({
      changed: { template: 'gen-capped', from: 3, to: 1 },
      caps: { templates: { 'gen-capped': { cap: 1, override: 1 } } },
    });
    const ids = [
      await queue('cp-1', ['capped']),
      await queue('cp-2', ['capped']),
      await queue('cp-3', ['capped']),
    ];
    await system.provisionAll();
    const statuses = async () => Promise.all(ids.map(async (id) => (await system.requests.get(id))?.status));
    expect((await statuses()).filter((status) => status === 'provisioned')).toHaveLength(1);
    expect((await statuses()).filter((status) => status === 'waiting')).toHaveLength(2);

    expect(await run({ action: 'caps', template: 'gen-capped', cap: 3 })).toMatchObject({ woken: 2 });
    await system.provisionAll();
    expect(await statuses()).toEqual(['provisioned', 'provisioned', 'provisioned']);

    const undone = await run({ action: 'caps', template: 'gen-capped', cap: null });
    expect((undone.caps as { templates: Record<string, object> }).templates['gen-capped']).not.toHaveProperty(
      'override',
    );
    const unknown = await failure({ action: 'caps', template: 'nope', cap: 2 });
    expect(unknown.name).toBe('OpsInputError');
    expect(unknown.message).toMatch(
      /'template' 'nope' is not a configured template: use one of .*gen-capped/,
    );
    const global = await run({ action: 'caps', cap: 50 });
    expect(global).toMatchObject({
      changed: { from: 100, to: 50 },
      caps: { global: { cap: 50, override: 50 } },
    });
    await run({ action: 'caps', cap: null });
    for (const id of ids) await run({ action: 'cancel', requestId: id, confirm: true });
  });

  it('refuses an unconfirmed drain, naming the confirmation, and leaves the settings item untouched', async () => {
    const settingsItem = async () =>
      (
        await system.db.send(
          new GetCommand({
            TableName: system.resources.tableName,
            Key: keys.settings(),
            ConsistentRead: true,
          }),
        )
      ).Item;
    const before = await settingsItem();
    for (const event of [{ action: 'drain' }, { action: 'drain', confirm: false }]) {
      const refused = await failure(event);
      expect(refused.name).toBe('OpsInputError');
      expect(refused.message).toMatch(
        /^invalid ops event: 'confirm' is required: drain stops provisioning .*"confirm": true/,
      );
    }
    expect(await settingsItem()).toEqual(before);
    expect((await run({ action: 'status' })).drained).toBe(false);
  });

  it('refuses an unconfirmed cancel and leaves the request, its slot and its pod as they were', async () => {
    const requestId = await queue('uc-1');
    await system.provisionAll();
    const before = await system.requests.get(requestId);
    expect(before).toMatchObject({ status: 'provisioned', holdsSlot: true });
    const refused = await failure({ action: 'cancel', requestId });
    expect(refused.name).toBe('OpsInputError');
    expect(refused.message).toMatch(`'confirm' is required: cancel ends request '${requestId}' for good`);
    expect(await system.requests.get(requestId)).toEqual(before);
    const pods = await system.listPods();
    expect(
      pods.some((pod) => pod.metadata?.name === before!.podName && !pod.metadata?.deletionTimestamp),
    ).toBe(true);
    await run({ action: 'cancel', requestId, confirm: true });
  });

  it('logs one audit line per invocation: who asked, the action and its arguments, and what came of it', async () => {
    const audited = (await importHandler('ops', { ...system.env, POWERTOOLS_LOG_LEVEL: 'INFO' }))
      .handler as unknown as Ops;
    const context = lambdaContext('ops');
    const output = captureOutput();
    try {
      await audited({ action: 'drain', confirm: true, actor: 'alice@laptop' }, context);
      await audited({ action: 'cancel', requestId: 'generic-none', actor: 'alice@laptop' }, context).catch(
        () => undefined,
      );
      await audited({ action: 'resume', actor: 'alice@laptop' }, context);
    } finally {
      output.stop();
    }
    const lines = output
      .text()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; message: string; audit?: Record<string, unknown> })
      .filter((line) => line.message === 'ops invocation');
    const caller = {
      actor: 'alice@laptop',
      invokedFunctionArn: context.invokedFunctionArn,
      requestId: context.awsRequestId,
    };
    expect(lines.map((line) => [line.level, line.audit])).toEqual([
      [
        'INFO',
        {
          caller,
          action: 'drain',
          arguments: { confirm: true },
          outcome: 'done',
          result: { drained: true, wasDrained: false },
        },
      ],
      [
        'WARN',
        {
          caller,
          action: 'cancel',
          arguments: { requestId: 'generic-none' },
          outcome: 'refused',
          error: { type: 'OpsInputError', message: expect.stringMatching(/'confirm' is required/) },
        },
      ],
      [
        'INFO',
        {
          caller,
          action: 'resume',
          arguments: {},
          outcome: 'done',
          result: { drained: false, wasDrained: true, woken: 0 },
        },
      ],
    ]);
    // And a line before each acts, so that one cut off by the timeout still leaves who asked for what.
    const started = output
      .text()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { message: string; audit?: Record<string, unknown> })
      .filter((line) => line.message === 'ops invocation started')
      .map((line) => line.audit);
    expect(started).toEqual(
      ['drain', 'cancel', 'resume'].map((action) =>
        expect.objectContaining({ caller, action, outcome: 'started' }),
      ),
    );
  });

  it('redrive stops in time to answer when the invocation runs short, and the rest waits for the next', async () => {
    const ended = await queue('rd-time');
    await system.provisionAll();
    await run({ action: 'cancel', requestId: ended, confirm: true });
    await system.sqs.send(
      new SendMessageCommand({
        QueueUrl: system.resources.dlqUrl,
        MessageBody: JSON.stringify({ requestId: ended }),
      }),
    );
    const short = { ...lambdaContext('ops'), getRemainingTimeInMillis: () => 10_000 };
    expect(await ops({ action: 'redrive', confirm: true }, short)).toMatchObject({
      redriven: 0,
      dropped: 0,
      outOfTime: true,
    });
    expect(await run({ action: 'redrive', confirm: true })).toMatchObject({ dropped: 1 });
  });

  it('refuses a bad event, naming the field, and changes nothing', async () => {
    const before = await run({ action: 'status' });
    const bad = await failure({ action: 'drain', now: true });
    expect(bad.name).toBe('OpsInputError');
    expect(bad.message).toBe("invalid ops event: 'now' is not a field of this action");
    expect((await run({ action: 'status' })).drained).toBe(before.drained);
  });
});

/** A retried request gets the same pod name: the old pod must be gone before the new one is made. */
async function waitForDeletion(system: ProvisioningSystem, podName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (!(await system.listPods()).some((pod) => pod.metadata?.name === podName)) return;
    await sleep(100);
  }
  throw new Error(`pod ${podName} was not deleted`);
}
