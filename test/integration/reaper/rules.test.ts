import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestIdFor } from '../../../shared/requests';
import { keys } from '../../../shared/state';
import { phaseIs, restrictedPod, waitForPod } from '../../support/kube';
import { steerPod } from '../../../infra/local/kube/steer';
import {
  genericTemplate as gen,
  startProvisioningSystem,
  type ProvisioningSystem,
} from '../../support/provisioning';
import { queuedRecord } from '../../support/records';

const queued = (id: string, labels = ['linux']) => ({ action: 'queued', job: { id, labels } });

describe('the reaper, one rule at a time (real API server with kwok, SQS, DynamoDB)', () => {
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem({
      emitMetrics: true,
      // Graces of 0 so the test need not wait; the rules are the same.
      reaper: { orphanGraceSeconds: 0, stuckGraceSeconds: 0, lostGraceSeconds: 0, staleQueuedSeconds: 3600 },
      templates: [
        gen('gen-linux', ['linux'], { instanceCap: 20 }),
        gen('gen-keep', ['keep'], { retention: { policy: 'onFailure', minutes: 30 } }),
        gen('gen-short', ['short'], { maxLifetimeSeconds: 2 }),
        gen('gen-capped', ['capped'], { instanceCap: 1 }),
        gen('gen-trim', ['trim'], { instanceCap: 5 }),
        { name: 'jk-idle', source: 'jenkins', labels: ['idle'], idleMinutes: 0 },
        { name: 'jk-trim', source: 'jenkins', labels: ['jtrim'], instanceCap: 5 },
        { name: 'jk-short', source: 'jenkins', labels: ['jshort'], maxLifetimeSeconds: 2 },
        {
          name: 'jk-keep',
          source: 'jenkins',
          labels: ['jkeep'],
          retention: { policy: 'onFailure', minutes: 30 },
        },
      ],
    });
  });
  afterAll(() => system.close());

  /** Sends a queued event and provisions it; returns the request id and pod name. */
  async function provisioned(id: string, labels = ['linux'], source = 'generic') {
    // Jenkins identifies a build by its numeric queue item id.
    const body =
      source === 'jenkins' ? { action: 'queued', job: { id: Number(id), labels } } : queued(id, labels);
    const answer = await system.sendWebhook(source, body, { 'x-pitcrew-delivery': `d-${id}` });
    expect(answer.statusCode).toBe(202);
    await system.provisionAll();
    const record = await system.requests.get(String(answer.body.requestId));
    expect(record?.status).toBe('provisioned');
    return { requestId: record!.requestId, podName: record!.podName! };
  }

  /** A private repository's queued GitHub job, provisioned: its request. */
  async function provisionedGithubJob(id: number) {
    const answer = await system.sendWebhook(
      'github',
      {
        action: 'queued',
        workflow_job: { id, labels: ['self-hosted', 'linux'], created_at: new Date().toISOString() },
        repository: { name: 'app', owner: { login: 'acme' }, private: true },
      },
      { 'x-github-event': 'workflow_job', 'x-github-delivery': `gh-${id}` },
    );
    expect(answer.statusCode).toBe(202);
    await system.provisionAll();
    return system.requests.get(String(answer.body.requestId));
  }

  /** Deletes a pod at once (no grace), as a node's failure would, and waits until it is gone. */
  async function deletePodNow(podName: string): Promise<void> {
    await system.core.deleteNamespacedPod({
      namespace: system.namespace,
      name: podName,
      gracePeriodSeconds: 0,
    });
    while ((await podNames()).includes(podName)) await sleep(100);
  }

  const podNames = async () =>
    (await system.listPods())
      .filter((pod) => !pod.metadata?.deletionTimestamp)
      .map((pod) => pod.metadata?.name);
  const counter = async (key: { pk: string; sk: string }) =>
    Number(
      (
        await system.db.send(
          new GetCommand({ TableName: system.resources.tableName, Key: key, ConsistentRead: true }),
        )
      ).Item?.used ?? 0,
    );

  it('deletes a finished pod, completes its request, gives the slot back', async () => {
    const { requestId, podName } = await provisioned('done-1');
    await steerPod(system.core, system.namespace, podName, { outcome: 'succeeded' });
    await waitForPod(system.core, system.namespace, podName, phaseIs('Succeeded'));
    const report = await system.reapNow();
    expect(report.deleted.finished).toBeGreaterThanOrEqual(1);
    expect(await podNames()).not.toContain(podName);
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'completed', holdsSlot: false });
  });

  it('deregisters a finished GitHub runner at GitHub, and publishes the run as EMF metrics', async () => {
    const record = await provisionedGithubJob(777);
    expect(system.github.state.runners.map((runner) => runner.name)).toContain(record?.podName);
    await steerPod(system.core, system.namespace, record!.podName!, { outcome: 'succeeded' });
    await waitForPod(system.core, system.namespace, record!.podName!, phaseIs('Succeeded'));

    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      await system.reapNow();
    } finally {
      process.stdout.write = write;
    }
    expect(system.github.state.runners.map((runner) => runner.name)).not.toContain(record?.podName);
    // CloudWatch Embedded Metric Format: one JSON document per metric set, with an _aws header.
    const emf = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const deleted = emf.find((doc) => doc.reason === 'finished');
    expect(deleted).toMatchObject({ PodsDeleted: 1, service: 'pitcrew-reap' });
    expect(
      emf.some(
        (doc) =>
          'WaitingRequests' in doc &&
          'OldestWaitingSeconds' in doc &&
          'CounterRepairs' in doc &&
          'ExpiredRequests' in doc,
      ),
    ).toBe(true);
  });

  // A runner takes any job its labels fit: this one ran another job of the repository and exited,
  // and its own job still waits at GitHub.
  it('queues again a GitHub build whose runner finished before it started, while GitHub still waits to run it', async () => {
    system.github.state.workflowRuns.push({
      id: 9001,
      owner: 'acme',
      repo: 'app',
      status: 'queued',
      jobs: [{ id: 778, status: 'queued', labels: ['self-hosted', 'linux'] }],
    });
    const first = await provisionedGithubJob(778);
    const podName = first!.podName!;
    const firstUid = (await system.listPods()).find((pod) => pod.metadata?.name === podName)?.metadata?.uid;
    const firstRunner = first?.externalId;
    await steerPod(system.core, system.namespace, podName, { outcome: 'succeeded' });
    await waitForPod(system.core, system.namespace, podName, phaseIs('Succeeded'));

    const report = await system.reapNow();
    expect(report.retried).toBeGreaterThanOrEqual(1);
    while ((await system.listPods()).some((pod) => pod.metadata?.uid === firstUid)) await sleep(100);
    await system.provisionAll();
    const again = await system.requests.get(first!.requestId);
    // The new runner has a name of its own (bug 57).
    const secondPod = again?.podName ?? '';
    expect(secondPod).not.toBe(podName);
    expect(again).toMatchObject({ status: 'provisioned', holdsSlot: true });
    const pods = (await system.listPods()).filter((pod) =>
      [podName, secondPod].includes(pod.metadata?.name ?? ''),
    );
    expect(pods.map((pod) => pod.metadata?.name)).toEqual([secondPod]);
    // The finished runner went at GitHub; the new one is registered.
    const runners = system.github.state.runners.filter((runner) =>
      [podName, secondPod].includes(runner.name),
    );
    expect(runners.map((runner) => [runner.name, String(runner.id)])).toEqual([
      [secondPod, again?.externalId],
    ]);
    expect(again?.externalId).not.toBe(firstRunner);
  });

  it('keeps a failed pod while the template retains failures, and fails its request only when deleted', async () => {
    const { requestId, podName } = await provisioned('keep-1', ['keep']);
    await steerPod(system.core, system.namespace, podName, { outcome: 'failed' });
    await waitForPod(system.core, system.namespace, podName, phaseIs('Failed'));
    await system.reapNow();
    expect(await podNames()).toContain(podName);
    expect((await system.requests.get(requestId))?.status).toBe('provisioned');
  });

  it('gives up on an image that cannot be pulled, says so, and provisions the build again', async () => {
    const { requestId, podName } = await provisioned('pull-1');
    await system.core
      .deleteNamespacedPod({ namespace: system.namespace, name: podName, gracePeriodSeconds: 0 })
      .catch(() => undefined);
    // Recreate it as a pod kwok keeps in ErrImagePull (what a bad image does on a real node).
    const stuck = restrictedPod(podName, { 'kwok.pitcrew.dev/waiting-reason': 'ErrImagePull' });
    stuck.metadata!.labels = {
      'app.kubernetes.io/managed-by': 'pitcrew',
      'pitcrew.dev/request-id': requestId,
      'pitcrew.dev/template': 'gen-linux',
      'pitcrew.dev/source': 'generic',
    };
    for (let attempt = 0; attempt < 50; attempt++) {
      const created = await system.core
        .createNamespacedPod({ namespace: system.namespace, body: stuck })
        .then(
          () => true,
          () => false,
        );
      if (created) break;
      await sleep(100);
    }
    await waitForPod(
      system.core,
      system.namespace,
      podName,
      (pod) => pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull',
    );
    const report = await system.reapNow();
    expect(report.deleted.stuck).toBe(1);
    expect(report.retried).toBe(1);
    const retried = await system.requests.get(requestId);
    expect(retried).toMatchObject({ status: 'queued', holdsSlot: false });
    expect(retried?.reason).toMatch(
      /stuck: image `jenkins\/inbound-agent:latest` cannot be pulled \(ErrImagePull\)/,
    );
    await system.provisionAll();
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'provisioned', attempts: 2 });
  });

  it('deletes a pod that ran past its maximum lifetime and fails the build', async () => {
    const { requestId, podName } = await provisioned('old-1', ['short']);
    // Its lifetime counts from its start, which kwok gives it a moment later on a busy machine.
    await waitForPod(system.core, system.namespace, podName, phaseIs('Running'));
    await sleep(2100);
    const report = await system.reapNow();
    expect(report.deleted['too-old']).toBe(1);
    expect(await podNames()).not.toContain(podName);
    expect((await system.requests.get(requestId))?.reason).toMatch(
      /too-old: ran longer than its maximum lifetime of 2 s/,
    );
  });

  it('fails the build of a pod past its lifetime as decided when Jenkins cannot remove its node yet, rather than giving it another', async () => {
    const { requestId, podName } = await provisioned('9311', ['jshort'], 'jenkins');
    await waitForPod(system.core, system.namespace, podName, phaseIs('Running'));
    await sleep(2100);
    system.jenkins.failFor(60_000, { status: 503, method: 'POST', path: /doDelete/ });
    try {
      // A CI that is down keeps no pod alive: the pod goes, and the request keeps its slot and says
      // how the build ends, until the node is gone.
      expect((await system.reapNow()).deleted['too-old']).toBe(1);
      expect(await podNames()).not.toContain(podName);
      expect(system.jenkins.state.nodes.has(podName)).toBe(true);
      const ending = {
        status: 'ending',
        endAs: 'failed',
        holdsSlot: true,
        endReason: 'too-old: ran longer than its maximum lifetime of 2 s',
      };
      expect(await system.requests.get(requestId)).toMatchObject(ending);
      // Still down: the next run keeps it so (a lost pod would have been given another agent).
      await system.reapNow();
      expect(await system.requests.get(requestId)).toMatchObject(ending);
    } finally {
      system.jenkins.clearFailures();
    }
    await system.reapNow();
    expect(system.jenkins.state.nodes.has(podName)).toBe(false);
    expect(await system.requests.get(requestId)).toMatchObject({
      status: 'failed',
      holdsSlot: false,
      reason: 'too-old: ran longer than its maximum lifetime of 2 s',
    });
    expect(
      (await system.listPods()).map((pod) => pod.metadata?.labels?.['pitcrew.dev/request-id']),
    ).not.toContain(requestId);
  });

  it('deletes an orphan pod (no request asks for it)', async () => {
    const orphan = restrictedPod('pc-orphan-1');
    orphan.metadata!.labels = {
      'app.kubernetes.io/managed-by': 'pitcrew',
      'pitcrew.dev/request-id': 'generic-nobody',
      'pitcrew.dev/template': 'gen-linux',
      'pitcrew.dev/source': 'generic',
    };
    await system.core.createNamespacedPod({ namespace: system.namespace, body: orphan });
    const report = await system.reapNow();
    expect(report.deleted.orphan).toBeGreaterThanOrEqual(1);
    expect(await podNames()).not.toContain('pc-orphan-1');
  });

  it('marks a request whose pod vanished as lost and provisions it again', async () => {
    const { requestId, podName } = await provisioned('lost-1');
    await deletePodNow(podName);
    const report = await system.reapNow();
    expect(report.lost).toBe(1);
    expect(await system.requests.get(requestId)).toMatchObject({
      status: 'queued',
      reason: 'lost: its pod vanished',
    });
    await system.provisionAll();
    // Its new agent has a name of its own (bug 57).
    const again = await system.requests.get(requestId);
    expect(again).toMatchObject({ status: 'provisioned', retriesUsed: 1 });
    expect(again?.podName).not.toBe(podName);
    expect(await podNames()).toContain(again?.podName);
    expect(await podNames()).not.toContain(podName);
  });

  it('repairs a counter set wrong by hand', async () => {
    const before = await counter(keys.templateCounter('gen-linux'));
    await system.db.send(
      new PutCommand({
        TableName: system.resources.tableName,
        Item: { ...keys.templateCounter('gen-linux'), used: before + 7 },
      }),
    );
    // The first run notes the drift on the counter; the next, finding it unmoved, repairs it.
    expect((await system.reapNow()).counterRepairs).toBe(0);
    expect(await counter(keys.templateCounter('gen-linux'))).toBe(before + 7);
    const report = await system.reapNow();
    expect(report.counterRepairs).toBeGreaterThanOrEqual(1);
    expect(await counter(keys.templateCounter('gen-linux'))).toBe(before);
  });

  it('on a completion, keeps the slot until the agent is gone, then wakes the waiting request at once', async () => {
    const first = await provisioned('cap-1', ['capped']);
    await system.sendWebhook('generic', queued('cap-2', ['capped']), { 'x-pitcrew-delivery': 'd-cap-2' });
    await system.provisionAll();
    const second = requestIdFor('generic', 'cap-2');
    expect((await system.requests.get(second))?.status).toBe('waiting');

    const done = await system.sendWebhook(
      'generic',
      { action: 'completed', job: { id: 'cap-1', labels: ['capped'] } },
      { 'x-pitcrew-delivery': 'd-cap-1-done' },
    );
    // The webhook cannot reach the cluster: the agent still runs, so the slot stays taken for now.
    expect(done.body).toMatchObject({ status: 'ending' });
    expect(await system.requests.get(first.requestId)).toMatchObject({ status: 'ending', holdsSlot: true });
    expect((await system.requests.get(second))?.status).toBe('waiting');

    // The provision function removes the agent, frees the slot and wakes the waiting request, which
    // it then provisions: one batch after another, no reaper run needed.
    await system.provisionAll();
    expect(await system.requests.get(first.requestId)).toMatchObject({
      status: 'completed',
      holdsSlot: false,
    });
    const gone = (await system.listPods()).filter(
      (pod) => pod.metadata?.name === first.podName && !pod.metadata?.deletionTimestamp,
    );
    expect(gone).toEqual([]);
    expect((await system.requests.get(second))?.status).toBe('provisioned');
  });

  it('finishes an ending request whose message was lost: the reaper removes the agent and frees the slot', async () => {
    const { requestId, podName } = await provisioned('end-lost');
    await system.requests.transition(requestId, ['provisioned'], 'ending', { endAs: 'cancelled' });
    const report = await system.reapNow();
    expect(report.deleted.ended).toBe(1);
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'cancelled', holdsSlot: false });
    expect(
      (await system.listPods()).filter(
        (pod) => pod.metadata?.name === podName && !pod.metadata?.deletionTimestamp,
      ),
    ).toEqual([]);
  });

  /** Makes the requests' pods Pending for good (kwok may have started them): held, as a slow node would. */
  async function holdPending(requestIds: readonly string[], template: string, source: string) {
    for (const requestId of requestIds) {
      const record = await system.requests.get(requestId);
      await steerPod(system.core, system.namespace, record!.podName!, { hold: 'true' });
    }
    for (const requestId of requestIds) {
      const record = await system.requests.get(requestId);
      await system.core.deleteNamespacedPod({
        namespace: system.namespace,
        name: record!.podName!,
        gracePeriodSeconds: 0,
      });
      while ((await podNames()).includes(record!.podName)) await sleep(100);
      const held = restrictedPod(record!.podName!, { 'kwok.pitcrew.dev/hold': 'true' });
      held.metadata!.labels = {
        'app.kubernetes.io/managed-by': 'pitcrew',
        'pitcrew.dev/request-id': requestId,
        'pitcrew.dev/template': template,
        'pitcrew.dev/source': source,
      };
      await system.core.createNamespacedPod({ namespace: system.namespace, body: held });
      await sleep(50);
    }
  }

  /** One reaper run with an operator's cap on `template`, taken off again after. */
  const reapWithCap = (template: string, cap: number) =>
    reapWithSettings({ templateCaps: { [template]: cap } });

  /** One reaper run with the operator's runtime settings `settings` (caps), taken off again after. */
  async function reapWithSettings(settings: Record<string, unknown>) {
    const put = (item: Record<string, unknown>) =>
      system.db.send(
        new PutCommand({ TableName: system.resources.tableName, Item: { ...keys.settings(), ...item } }),
      );
    await put(settings);
    try {
      return await system.reapNow();
    } finally {
      await put({ templateCaps: {} });
    }
  }

  it('trims only pending pods, newest first, when an operator lowers a cap', async () => {
    const running = await provisioned('trim-run', ['trim']);
    await system.sendWebhook('generic', queued('trim-p1', ['trim']), { 'x-pitcrew-delivery': 'd-trim-p1' });
    await system.sendWebhook('generic', queued('trim-p2', ['trim']), { 'x-pitcrew-delivery': 'd-trim-p2' });
    await system.provisionAll();
    const pending = [requestIdFor('generic', 'trim-p1'), requestIdFor('generic', 'trim-p2')];
    await holdPending(pending, 'gen-trim', 'generic');
    const report = await reapWithCap('gen-trim', 1);
    expect(report.deleted['over-cap']).toBe(2);
    expect(await system.requests.get(running.requestId)).toMatchObject({
      status: 'provisioned',
      holdsSlot: true,
    });
    for (const requestId of pending)
      expect(await system.requests.get(requestId)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(await podNames()).toContain(running.podName);
  });

  it('trims pending pods across templates, newest first, when an operator lowers the global cap (bug 67)', async () => {
    const running = await provisioned('gtrim-run', ['trim']);
    for (const [id, labels] of [
      ['gtrim-old', ['trim']],
      ['gtrim-a', ['linux']],
      ['gtrim-b', ['linux']],
    ] as const)
      await system.sendWebhook('generic', queued(id, [...labels]), { 'x-pitcrew-delivery': `d-${id}` });
    await system.provisionAll();
    const [old, newer1, newer2] = ['gtrim-old', 'gtrim-a', 'gtrim-b'].map((id) =>
      requestIdFor('generic', id),
    );
    await holdPending([old!], 'gen-trim', 'generic');
    // A pod's creation time has whole seconds: the older one's second must be over first.
    await sleep(1100);
    await holdPending([newer1!, newer2!], 'gen-linux', 'generic');
    const globalBefore = await counter(keys.globalCounter());
    const report = await reapWithSettings({ templateCaps: {}, globalCap: globalBefore - 2 });
    expect(report.deleted['over-cap']).toBe(2);
    for (const requestId of [newer1!, newer2!])
      expect(await system.requests.get(requestId)).toMatchObject({ status: 'waiting', holdsSlot: false });
    // Under the global cap again: the older pending pod and the running one keep their slots.
    for (const requestId of [old!, running.requestId])
      expect(await system.requests.get(requestId)).toMatchObject({ status: 'provisioned', holdsSlot: true });
    expect(await counter(keys.globalCounter())).toBe(globalBefore - 2);
    const names = await podNames();
    expect(names).toContain(running.podName);
    expect(names).toContain((await system.requests.get(old!))!.podName);
  });

  it('trims a pending Jenkins pod under a lowered cap while started builds run on their agents', async () => {
    const running = [
      await provisioned('9101', ['jtrim'], 'jenkins'),
      await provisioned('9102', ['jtrim'], 'jenkins'),
    ];
    for (const { podName, requestId } of running) {
      await waitForPod(system.core, system.namespace, podName, phaseIs('Running'));
      system.jenkins.state.nodes.get(podName)!.busy = true;
      const id = Number(podName === running[0]!.podName ? 9101 : 9102);
      await system.sendWebhook(
        'jenkins',
        { action: 'started', job: { id, labels: ['jtrim'] } },
        { 'x-pitcrew-delivery': `d-${id}-started` },
      );
      await system.db.send(
        new UpdateCommand({
          TableName: system.resources.tableName,
          Key: keys.request(requestId),
          UpdateExpression: 'SET statusSince = :at',
          ExpressionAttributeValues: { ':at': new Date(Date.now() - 120_000).toISOString() },
        }),
      );
    }
    await system.provisionAll();
    await system.sendWebhook(
      'jenkins',
      { action: 'queued', job: { id: 9103, labels: ['jtrim'] } },
      { 'x-pitcrew-delivery': 'd-9103' },
    );
    await system.provisionAll();
    const waiting = requestIdFor('jenkins', `${system.jenkins.url}#9103`);
    await holdPending([waiting], 'jk-trim', 'jenkins');
    const trimmedNode = (await system.requests.get(waiting))!.podName!;
    expect(system.jenkins.state.nodes.has(trimmedNode)).toBe(true);
    // Jenkins down for now: the node cannot be removed, so the request keeps its pod and slot (trimmed,
    // nothing would point at the node any more), and the next run tries again.
    system.jenkins.failNext(1, { status: 503, method: 'POST', path: /doDelete/ });
    expect((await reapWithCap('jk-trim', 1)).deleted['over-cap'] ?? 0).toBe(0);
    expect(await system.requests.get(waiting)).toMatchObject({ holdsSlot: true, podName: trimmedNode });
    expect(system.jenkins.state.nodes.has(trimmedNode)).toBe(true);
    // The busy agents are kept (their builds run), and still count: the pending one is over the cap.
    const report = await reapWithCap('jk-trim', 1);
    expect(report.keptBusy).toBeGreaterThanOrEqual(2);
    expect(report.deleted['over-cap']).toBe(1);
    expect(await system.requests.get(waiting)).toMatchObject({ status: 'waiting', holdsSlot: false });
    // Its node went with its pod: none is left registered at Jenkins for a build that waits again.
    expect(system.jenkins.state.nodes.has(trimmedNode)).toBe(false);
    for (const { podName } of running) system.jenkins.state.nodes.get(podName)!.busy = false;
  });

  it('never deletes a busy Jenkins agent, and deletes it (node first) once idle', async () => {
    const { requestId, podName } = await provisioned('9001', ['idle'], 'jenkins');
    // The reaper keeps a Pending pod whatever its agent says: let kwok start it first.
    await waitForPod(system.core, system.namespace, podName, phaseIs('Running'));
    system.jenkins.state.nodes.get(podName)!.busy = true;
    const busy = await system.reapNow();
    expect(busy.keptBusy).toBe(1);
    expect(await podNames()).toContain(podName);
    expect(system.jenkins.state.nodes.has(podName)).toBe(true);

    system.jenkins.state.nodes.get(podName)!.busy = false;
    const idle = await system.reapNow();
    expect(idle.deleted.idle).toBe(1);
    expect(system.jenkins.state.nodes.has(podName)).toBe(false);
    expect(await podNames()).not.toContain(podName);
    expect((await system.requests.get(requestId))?.reason).toMatch(
      /idle: no build started on it within 0 minutes/,
    );
  });

  it('a Jenkins build that ended while its agent took another build: the agent stays until idle, then goes', async () => {
    const { requestId, podName } = await provisioned('9002', ['linux'], 'jenkins');
    // Jenkins handed its agent another build, whose start took the agent out of rotation.
    system.jenkins.state.nodes.get(podName)!.busy = true;
    await system.sendWebhook(
      'jenkins',
      { action: 'started', job: { id: 9902, labels: ['linux'] } },
      { 'x-pitcrew-delivery': 'd-9902-started' },
    );
    await system.provisionAll();
    expect(system.jenkins.state.nodes.get(podName)!.temporarilyOffline).toBe(true);
    const done = await system.sendWebhook(
      'jenkins',
      { action: 'completed', job: { id: 9002, labels: ['linux'] } },
      { 'x-pitcrew-delivery': 'd-9002-done' },
    );
    expect(done.body).toMatchObject({ status: 'ending' });
    await system.provisionAll();
    // Busy: nothing was removed and the slot is still held.
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'ending', holdsSlot: true });
    expect(await podNames()).toContain(podName);
    expect((await system.reapNow()).keptBusy).toBeGreaterThanOrEqual(1);

    system.jenkins.state.nodes.get(podName)!.busy = false;
    expect((await system.reapNow()).deleted.ended).toBe(1);
    expect(system.jenkins.state.nodes.has(podName)).toBe(false);
    expect(await podNames()).not.toContain(podName);
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'completed', holdsSlot: false });
  });

  it('one build per Jenkins agent: the agent running a build is taken out of rotation when a build starts, and goes once idle', async () => {
    const a = await provisioned('9003', ['linux'], 'jenkins');
    const b = await provisioned('9004', ['linux'], 'jenkins');
    const node = (podName: string) => system.jenkins.state.nodes.get(podName);
    for (const { podName } of [a, b])
      await waitForPod(system.core, system.namespace, podName, phaseIs('Running'));
    // The CI says the build started when it was handed to an agent: the webhook sends provision a
    // message, which asks Jenkins which of Pitcrew's agents run a build now.
    const started = async (id: number) => {
      const answer = await system.sendWebhook(
        'jenkins',
        { action: 'started', job: { id, labels: ['linux'] } },
        { 'x-pitcrew-delivery': `d-${id}-started` },
      );
      expect(answer.body).toMatchObject({ status: 'started' });
      await system.provisionAll();
    };
    const startedAgo = (requestId: string, seconds: number) =>
      system.db.send(
        new UpdateCommand({
          TableName: system.resources.tableName,
          Key: keys.request(requestId),
          UpdateExpression: 'SET statusSince = :at',
          ExpressionAttributeValues: { ':at': new Date(Date.now() - seconds * 1000).toISOString() },
        }),
      );

    // Jenkins handed 9003's build to 9004's agent (any agent its labels fit).
    node(b.podName)!.busy = true;
    await started(9003);
    expect({ a: node(a.podName)!.temporarilyOffline, b: node(b.podName)!.temporarilyOffline }).toEqual({
      a: false,
      b: true,
    });
    // 9003's own agent, idle and still in rotation, is a spare another build may take: kept.
    await startedAgo(a.requestId, 120);
    await system.reapNow();
    expect(await podNames()).toEqual(expect.arrayContaining([a.podName, b.podName]));

    // It takes 9004's build, and is taken out of rotation in turn.
    node(a.podName)!.busy = true;
    await started(9004);
    expect(node(a.podName)!.temporarilyOffline).toBe(true);

    // 9003's build ends on 9004's agent: out of rotation and idle, it goes, node first, slot with it.
    node(b.podName)!.busy = false;
    await startedAgo(b.requestId, 120);
    const first = await system.reapNow();
    expect(first.deleted.ended).toBe(1);
    expect(node(b.podName)).toBeUndefined();
    expect(await podNames()).not.toContain(b.podName);
    expect(await system.requests.get(b.requestId)).toMatchObject({ status: 'completed', holdsSlot: false });
    // The other still runs its build: kept until idle.
    expect(await podNames()).toContain(a.podName);
    node(a.podName)!.busy = false;
    expect((await system.reapNow()).deleted.ended).toBe(1);
    expect(node(a.podName)).toBeUndefined();
    expect(await system.requests.get(a.requestId)).toMatchObject({ status: 'completed', holdsSlot: false });
  });

  it('builds that start together cost Jenkins one list of its agents, and each busy node one mark', async () => {
    const agents = [
      await provisioned('9011', ['linux'], 'jenkins'),
      await provisioned('9012', ['linux'], 'jenkins'),
    ];
    for (const { podName } of agents) {
      await waitForPod(system.core, system.namespace, podName, phaseIs('Running'));
      system.jenkins.state.nodes.get(podName)!.busy = true;
    }
    const callsBefore = system.jenkins.state.requests.length;
    for (const id of [9011, 9012, 9013])
      expect(
        (
          await system.sendWebhook(
            'jenkins',
            { action: 'started', job: { id, labels: ['linux'] } },
            { 'x-pitcrew-delivery': `d-${id}-started` },
          )
        ).body,
      ).toMatchObject({ status: 'started' });
    // The three messages come in one batch and share one retire.
    expect(await system.provisionAll()).toEqual({ received: 3, failed: 0 });
    const calls = system.jenkins.state.requests.slice(callsBefore);
    expect(calls.filter(({ path }) => path.startsWith('computer/api/json'))).toHaveLength(1);
    expect(
      calls
        .filter(({ path }) => path.endsWith('/changeOfflineCause'))
        .map(({ path }) => path)
        .sort(),
    ).toEqual(agents.map(({ podName }) => `computer/${podName}/changeOfflineCause`).sort());
    for (const { podName } of agents)
      expect(system.jenkins.state.nodes.get(podName)!.temporarilyOffline).toBe(true);
  });

  it('fails queued and waiting requests recorded more than maxWaitHours ago as expired, and makes no agent for them', async () => {
    const hoursAgo = (hours: number): string => new Date(Date.now() - hours * 3_600_000).toISOString();
    const recordedAt = (requestId: string, createdAt: string) =>
      system.db.send(
        new UpdateCommand({
          TableName: system.resources.tableName,
          Key: keys.request(requestId),
          UpdateExpression: 'SET createdAt = :at',
          ExpressionAttributeValues: { ':at': createdAt },
        }),
      );
    // Two queued builds with their messages still on the queue: one recorded 25 h ago, one 23 h ago.
    for (const id of ['exp-old', 'exp-young'])
      await system.sendWebhook('generic', queued(id), { 'x-pitcrew-delivery': `d-${id}` });
    const oldQueued = requestIdFor('generic', 'exp-old');
    const young = requestIdFor('generic', 'exp-young');
    await recordedAt(oldQueued, hoursAgo(25));
    await recordedAt(young, hoursAgo(23));
    // A build waiting for a slot since 25 h ago, for a template with room: the reaper would wake it.
    const oldWaiting = requestIdFor('generic', 'exp-waiting');
    await system.requests.createIfAbsent(
      queuedRecord(oldWaiting, {
        jobKey: 'exp-waiting',
        status: 'waiting',
        template: 'gen-linux',
        reason: "at the 'gen-linux' cap",
        createdAt: hoursAgo(25),
        statusSince: hoursAgo(2),
      }),
    );

    const report = await system.reapNow();
    expect(report.expired).toBe(2);
    for (const requestId of [oldQueued, oldWaiting])
      expect(await system.requests.get(requestId)).toMatchObject({
        status: 'failed',
        holdsSlot: false,
        reason: 'expired: no agent within 24 h of being queued (reaper.maxWaitHours)',
      });
    const untouched = await system.requests.get(young);
    expect(untouched).toMatchObject({ status: 'queued' });
    expect(untouched?.reason).toBeUndefined();

    // The expired build's message is still delivered: provisioning skips it. The young one gets its agent.
    await system.provisionAll();
    const podsOf = async (requestId: string) =>
      (await system.listPods()).filter(
        (pod) => pod.metadata?.labels?.['pitcrew.dev/request-id'] === requestId,
      );
    expect(await podsOf(oldQueued)).toEqual([]);
    expect(await podsOf(oldWaiting)).toEqual([]);
    expect(await system.requests.get(young)).toMatchObject({ status: 'provisioned' });
    expect(await podsOf(young)).toHaveLength(1);
    expect((await system.reapNow()).expired).toBe(0);
    expect((await system.requests.get(oldWaiting))?.status).toBe('failed');
  });

  // Last but one: its pod stays, and each run until 5 minutes after it failed asks Jenkins to remove
  // its node again (a POST the fault injections of the Jenkins cases above would meet).
  it('removes the Jenkins node of a failed pod it keeps for its logs at once, and keeps the pod (bug 69)', async () => {
    const { requestId, podName } = await provisioned('9301', ['jkeep'], 'jenkins');
    expect(system.jenkins.state.nodes.has(podName)).toBe(true);
    await steerPod(system.core, system.namespace, podName, { outcome: 'failed' });
    await waitForPod(system.core, system.namespace, podName, phaseIs('Failed'));
    await system.reapNow();
    // Nothing can connect under the node's name and secret while the pod is kept.
    expect(system.jenkins.state.nodes.has(podName)).toBe(false);
    expect(await podNames()).toContain(podName);
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'provisioned', holdsSlot: true });
  });

  it('does nothing while another run holds the lease', async () => {
    const { createLeaseStore } = await import('../../../shared/state');
    const leases = createLeaseStore(system.db, system.resources.tableName);
    expect(await leases.acquire('reaper', 'someone-else', 60)).toBe(true);
    expect(await system.reapNow()).toMatchObject({ skipped: 'another run holds the lease' });
    await leases.release('reaper', 'someone-else');
    expect((await system.reapNow()).skipped).toBeUndefined();
  });
});
