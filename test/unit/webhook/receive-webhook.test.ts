import { parseConfig, templateSchema } from '../../../shared/config';
import type { ProvisionQueue } from '../../../shared/ports';
import { silentLogger } from '../../../shared/ports/logger';
import { createWebhookRegistry } from '../../../shared/runtime/sources';
import { signedHeadersFor } from '../../../shared/sources/signing';
import type { DeliveryStore, RequestStore } from '../../../shared/state';
import { receiveWebhook, type BacklogGate, type WebhookPorts } from '../../../shared/webhook';

/**
 * The order receiveWebhook keeps, with every port recording its calls: nothing is read or written
 * before the signature and the trust policy pass, a new queued build costs two DynamoDB writes (its
 * request, then its delivery marker), a duplicate is told so even past the backlog cap, and a
 * refusal of any kind writes nothing. (The same paths run on the real servers in
 * integration/reliability/webhook-trust; these show the order itself.)
 */
const config = parseConfig(`
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
sources:
  github:
    webhookSecret: { value: gh-secret }
    auth: { token: { value: t } }
    repositories: [acme/app]
  generic:
    webhookSecret: [{ value: old-secret }, { value: new-secret }]
    maxBacklog: 1
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
  - { name: gh, source: github, labels: [self-hosted] }
`);

function portsWith(options: { full?: boolean; seen?: boolean; known?: boolean } = {}) {
  const calls: string[] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push(`${name}${args.length > 1 ? ` ${String(args[1])}` : ''}`);
    };
  const backlog: BacklogGate = {
    isFull: async (source) => (record('backlog.isFull')(source), options.full ?? false),
    admitted: record('backlog.admitted'),
  };
  const deliveries = {
    seen: async (source: string, key: string) => (
      record('deliveries.seen')(source, key),
      options.seen ?? false
    ),
    remember: async (source: string, key: string) => record('deliveries.remember')(source, key),
  } as unknown as DeliveryStore;
  const requests = {
    createIfAbsent: async () => (
      record('requests.createIfAbsent')(),
      options.known ? { created: false, existing: { status: 'queued', holdsSlot: false } } : { created: true }
    ),
    // An unknown build: no tombstone was asked for (unserved) or there is none to end.
    end: async () => (record('requests.end')(), { kind: 'unknown' }),
  } as unknown as RequestStore;
  const queue = { send: async () => record('queue.send')() } as unknown as ProvisionQueue;
  const ports: WebhookPorts = {
    webhooks: createWebhookRegistry(config.sources, (ref) => ('value' in ref ? ref.value : '')),
    backlog,
    templates: config.templates,
    requests,
    deliveries,
    queue,
    logger: silentLogger,
    now: () => new Date(),
  };
  return { ports, calls };
}

const generic = (action: string, labels = ['linux']) =>
  JSON.stringify({ action, job: { id: 'build-1', labels } });

function request(body: string, secret = 'new-secret', delivery = 'd-1') {
  return {
    source: 'generic',
    rawBody: Buffer.from(body),
    headers: {
      'content-type': 'application/json',
      'x-pitcrew-delivery': delivery,
      ...signedHeadersFor('generic', body, secret),
    },
  };
}

/** A signed GitHub `workflow_job` queued delivery of job `id` in the private repository acme/`repository`. */
function githubQueued(id: number, repository: string, labels: string[]) {
  const body = JSON.stringify({
    action: 'queued',
    workflow_job: { id, labels, created_at: new Date().toISOString() },
    repository: { name: repository, owner: { login: 'acme' }, private: true },
  });
  return {
    source: 'github',
    rawBody: Buffer.from(body),
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-github-delivery': `g-${id}-${repository}`,
      ...signedHeadersFor('github', body, 'gh-secret'),
    },
  };
}

describe('receiveWebhook: what it touches, in which order', () => {
  it('touches nothing for a bad signature', async () => {
    const { ports, calls } = portsWith();
    expect(await receiveWebhook(request(generic('queued'), 'wrong'), ports)).toMatchObject({
      kind: 'unauthorized',
    });
    expect(calls).toEqual([]);
  });

  it('answers 503 for a source whose secret is gone, verifying and touching nothing', async () => {
    const { ports, calls } = portsWith();
    // Its secrets left in place: the mark alone must stop it.
    const closed = { ...ports.webhooks.generic!, closed: true };
    const outcome = await receiveWebhook(request(generic('queued')), {
      ...ports,
      webhooks: { ...ports.webhooks, generic: closed },
    });
    expect(outcome).toEqual({
      kind: 'unavailable',
      problem: expect.stringContaining('cannot verify generic deliveries right now'),
    });
    expect(calls).toEqual([]);
  });

  it('touches nothing for a job the trust policy refuses', async () => {
    const { ports, calls } = portsWith();
    const outcome = await receiveWebhook(githubQueued(1, 'other', ['self-hosted']), ports);
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'repository-not-allowed' });
    expect(calls).toEqual([]);
  });

  it('a new queued build: checks the backlog, records, enqueues, then remembers the delivery by id and body digest (two DynamoDB writes)', async () => {
    const { ports, calls } = portsWith();
    // Signed with the old secret of the rotation list: still verifies.
    expect(await receiveWebhook(request(generic('queued'), 'old-secret'), ports)).toMatchObject({
      kind: 'accepted',
    });
    expect(calls).toEqual([
      'backlog.isFull',
      'requests.createIfAbsent',
      'queue.send',
      'backlog.admitted',
      expect.stringMatching(/^deliveries\.remember d-1#[0-9a-f]{16}$/),
    ]);
  });

  it("reads the delivery marker when the build is known: the CI's retry is told it is a duplicate, and nothing is sent", async () => {
    const retry = portsWith({ known: true, seen: true });
    expect(await receiveWebhook(request(generic('queued')), retry.ports)).toMatchObject({
      kind: 'ignored',
      reason: 'delivery d-1 was already received',
    });
    expect(retry.calls).toEqual([
      'backlog.isFull',
      'requests.createIfAbsent',
      expect.stringMatching(/^deliveries\.seen d-1#[0-9a-f]{16}$/),
    ]);
    // Another delivery of a build still queued: its message is sent again (its first may be lost).
    const another = portsWith({ known: true });
    expect(await receiveWebhook(request(generic('queued')), another.ports)).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('sent again'),
    });
    expect(another.calls).toEqual([
      'backlog.isFull',
      'requests.createIfAbsent',
      expect.stringMatching(/^deliveries\.seen/),
      'queue.send',
      expect.stringMatching(/^deliveries\.remember/),
    ]);
  });

  it('writes nothing for a delivery no template serves, queued or ended: no marker either', async () => {
    for (const action of ['queued', 'completed']) {
      const { ports, calls } = portsWith();
      expect(await receiveWebhook(request(generic(action, ['windows'])), ports)).toMatchObject({
        kind: 'ignored',
      });
      expect(calls.filter((call) => !call.startsWith('deliveries.seen'))).toEqual(
        action === 'completed' ? [expect.stringMatching(/^requests\.end/)] : [],
      );
    }
  });

  it('dedupes other events first', async () => {
    const { ports, calls } = portsWith({ seen: true });
    expect(await receiveWebhook(request(generic('started')), ports)).toMatchObject({ kind: 'ignored' });
    expect(calls).toEqual([expect.stringMatching(/^deliveries\.seen d-1#/)]);
  });

  it('remembers another body under the same delivery id apart (an unsigned id cannot shadow a delivery)', async () => {
    const first = portsWith();
    await receiveWebhook(request(generic('queued')), first.ports);
    const second = portsWith();
    await receiveWebhook(
      request(JSON.stringify({ action: 'queued', job: { id: 'build-2', labels: ['linux'] } })),
      second.ports,
    );
    const marker = (calls: string[]) => calls.find((call) => call.startsWith('deliveries.remember'));
    expect(marker(first.calls)).toBeDefined();
    expect(marker(first.calls)).not.toEqual(marker(second.calls));
  });

  it('answers a full backlog with 429 and writes nothing', async () => {
    const { ports, calls } = portsWith({ full: true });
    expect(await receiveWebhook(request(generic('queued')), ports)).toMatchObject({
      kind: 'backlog-full',
      retryAfterSeconds: 60,
    });
    expect(calls).toEqual(['backlog.isFull', expect.stringMatching(/^deliveries\.seen/)]);
  });

  it('tells a duplicate so even with a full backlog, and leaves a job no template serves out of the cap', async () => {
    const duplicate = portsWith({ full: true, seen: true });
    expect(await receiveWebhook(request(generic('queued')), duplicate.ports)).toMatchObject({
      kind: 'ignored',
    });
    expect(duplicate.calls).toEqual(['backlog.isFull', expect.stringMatching(/^deliveries\.seen/)]);
    const unserved = portsWith({ full: true });
    expect(await receiveWebhook(request(generic('queued', ['windows'])), unserved.ports)).toMatchObject({
      kind: 'ignored',
    });
    expect(unserved.calls).not.toContain('backlog.isFull');
  });

  it("counts a job against the cap only when a template's from lets a template serve it", async () => {
    const kept = templateSchema.parse({
      name: 'gh-kept',
      source: 'github',
      labels: ['self-hosted', 'deploy'],
      from: ['acme/deploy'],
    });
    const github = { ...config.sources.github!, repositories: ['acme/*'] };
    const send = async (repository: string) => {
      const { ports, calls } = portsWith({ full: true });
      const outcome = await receiveWebhook(githubQueued(2, repository, ['self-hosted', 'deploy']), {
        ...ports,
        webhooks: createWebhookRegistry({ ...config.sources, github }, (ref) =>
          'value' in ref ? ref.value : '',
        ),
        templates: [...ports.templates, kept],
      });
      return { outcome, calls };
    };
    // From the kept origin: the template serves it, so a full backlog answers 429.
    expect((await send('deploy')).outcome).toMatchObject({ kind: 'backlog-full' });
    // From elsewhere: no template serves it, so it is ignored and never counted.
    const elsewhere = await send('app');
    expect(elsewhere.outcome).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('from acme/app'),
    });
    expect(elsewhere.calls).not.toContain('backlog.isFull');
  });

  it('takes allowPublicRepositories and maxJobAgeHours from the config into the GitHub receiver', async () => {
    const open = parseConfig(`
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
sources:
  github:
    webhookSecret: { value: gh-secret }
    auth: { token: { value: t } }
    repositories: [acme/*]
    allowPublicRepositories: true
    maxJobAgeHours: 72
templates:
  - { name: gh, source: github, labels: [self-hosted] }
`);
    const receiver = createWebhookRegistry(open.sources, (ref) => ('value' in ref ? ref.value : '')).github!
      .receiver;
    const job = (createdHoursAgo: number) => ({
      headers: { 'x-github-event': 'workflow_job', 'x-github-delivery': 'g-2' },
      rawBody: Buffer.from(
        JSON.stringify({
          action: 'queued',
          workflow_job: {
            id: 2,
            labels: ['self-hosted'],
            created_at: new Date(Date.now() - createdHoursAgo * 3_600_000).toISOString(),
          },
          repository: { name: 'app', owner: { login: 'acme' }, private: false, visibility: 'public' },
        }),
      ),
    });
    expect(receiver.parseWebhook(job(48))).toMatchObject({ kind: 'event' });
    expect(receiver.parseWebhook(job(73))).toMatchObject({ kind: 'refused', reason: 'job-too-old' });
  });
});
