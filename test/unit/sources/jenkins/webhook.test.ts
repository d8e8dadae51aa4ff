import { readFileSync } from 'node:fs';
import { readWhy } from '../../../../shared/sources/jenkins/queue-why';
import {
  createJenkinsWebhookReceiver,
  normaliseControllerUrl,
  queuedBuildFromQueueItem,
} from '../../../../shared/sources/jenkins';
import type { BuildEvent, ParsedWebhook, WebhookInput } from '../../../../shared/sources/types';
import { templateSchema } from '../../../../shared/config';
import { podNameFor, requestIdFor } from '../../../../shared/requests';
import { matchTemplate } from '../../../../shared/templates';

interface Fixture {
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(`test/fixtures/jenkins/${name}.json`, 'utf8')) as Fixture;

const raw = (headers: Record<string, string | undefined>, body: unknown): WebhookInput => ({
  headers,
  rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});

/**
 * A delivery as Pitcrew receives it. The CloudEvents plugin sends binary mode (attributes in ce-*
 * headers), which the signature would not cover, so the signing relay of docs/jenkins.md forwards
 * each plugin event in structured mode: that is what a plugin event given here becomes.
 */
function input(headers: Record<string, string | undefined>, body: unknown): WebhookInput {
  const {
    'ce-specversion': specversion,
    'ce-id': id,
    'ce-type': type,
    'ce-source': source,
    ...rest
  } = headers;
  if (type === undefined) return raw(headers, body);
  const event = { specversion, id, type, source, data: body };
  return raw({ ...rest, 'content-type': 'application/cloudevents+json' }, event);
}
const fromFixture = (name: string): WebhookInput => {
  const { headers, body } = fixture(name);
  return input(headers, body);
};

// An internal URL, unlike the root URL Jenkins puts in its events, to tell the two apart.
const source = createJenkinsWebhookReceiver({ url: 'http://jenkins.ci.svc:8080' });
const parse = (webhook: WebhookInput): ParsedWebhook => source.parseWebhook(webhook);

const eventOf = (parsed: ParsedWebhook): BuildEvent => {
  if (parsed.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed.event;
};

const binaryHeaders = (type: string, id = 'ce-1'): Record<string, string> => ({
  'content-type': 'application/json',
  'ce-specversion': '1.0',
  'ce-id': id,
  'ce-type': type,
  'ce-source': 'job/app',
});
const waiting = (data: Record<string, unknown>): WebhookInput =>
  input(binaryHeaders('org.jenkinsci.queue.entered_waiting'), {
    jenkinsQueueId: 7,
    ciUrl: 'https://ci.example.com/',
    ...data,
  });
const waitingFor = (reason: string): WebhookInput =>
  waiting({ queueCauses: [{ reasonForWaiting: reason, type: 'entered_waiting' }] });

describe('Jenkins parseWebhook: CloudEvents', () => {
  it('reads the plugin binary-mode entered_waiting event', () => {
    expect(parse(fromFixture('cloudevent-entered-waiting-binary'))).toEqual({
      kind: 'event',
      event: {
        source: 'jenkins',
        jobKey: 'http://jenkins.ci.svc:8080/#25',
        action: 'queued',
        labels: ['linux'],
        labelRule: {
          text: 'the label expression "linux"',
          satisfiedBy: expect.any(Function),
          // Read from a why text, which may name a node of Pitcrew's for the label.
          madeBy: expect.any(Function),
        },
        deliveryId: 'c42d1f19-9908-43da-9a7f-404405c52b60',
        details: {
          source: 'jenkins',
          controllerUrl: 'http://jenkins.ci.svc:8080/',
          queueItemId: 25,
          label: 'linux',
        },
      },
    });
  });

  it('reads a structured-mode event, taking the label expression from the why text', () => {
    const event = eventOf(parse(fromFixture('cloudevent-entered-waiting-structured')));
    expect(event).toMatchObject({
      action: 'queued',
      jobKey: 'http://jenkins.ci.svc:8080/#1234',
      deliveryId: '5f0e4b9a-2d7c-4a8e-9d61-3c2b7f1e8a90',
      labels: ['linux', 'docker'],
      details: {
        controllerUrl: 'http://jenkins.ci.svc:8080/',
        queueItemId: 1234,
        label: 'linux&&(docker||podman)',
      },
    });
  });

  it('ignores the documented quiet-period event: its cause names no label', () => {
    const parsed = parse(fromFixture('cloudevent-entered-waiting-quiet-period'));
    expect(parsed).toEqual({ kind: 'ignored', reason: expect.stringContaining('no label') });
    expect(parsed.kind === 'ignored' && parsed.reason).toContain('In the quiet period');
  });

  it.each([
    ['Waiting for next available executor on ‘linux’', 'linux'],
    ["Waiting for next available executor on 'linux'", 'linux'],
    ['There are no nodes with the label ‘gpu’', 'gpu'],
    ['There are no nodes with the label "gpu"', 'gpu'],
    ['All nodes of label ‘arm64’ are offline', 'arm64'],
  ])('takes the label from %j', (reason, label) => {
    expect(eventOf(parse(waitingFor(reason))).details).toMatchObject({ label });
  });

  it('asks a template to offer the fewest labels that satisfy a label expression, and to satisfy it', () => {
    const event = eventOf(
      parse(waitingFor('Waiting for next available executor on ‘linux && !windows && (docker || podman)’')),
    );
    expect(event.labels).toEqual(['linux', 'docker']);
    expect(event.details).toMatchObject({ label: 'linux && !windows && (docker || podman)' });
    // The agent carries its template's labels: one that also offers a refused label would never run it.
    expect(event.labelRule?.satisfiedBy(['linux', 'docker', 'big'])).toBe(true);
    expect(event.labelRule?.satisfiedBy(['linux', 'podman'])).toBe(true);
    expect(event.labelRule?.satisfiedBy(['linux', 'docker', 'windows'])).toBe(false);
    // As Jenkins compares label names: exactly.
    expect(event.labelRule?.satisfiedBy(['Linux', 'docker'])).toBe(false);
  });

  it('ignores a build that waits for something else than an agent', () => {
    expect(parse(waitingFor('Build #475 is already in progress (ETA: 23 min)'))).toEqual({
      kind: 'ignored',
      reason: expect.stringContaining('no label'),
    });
    expect(parse(waiting({}))).toEqual({ kind: 'ignored', reason: expect.stringContaining('no label') });
  });

  it('ignores a label expression no agent can satisfy, and refuses one that does not parse', () => {
    expect(parse(waitingFor('There are no nodes with the label ‘a && !a’'))).toEqual({
      kind: 'ignored',
      reason: expect.stringContaining('no agent can satisfy'),
    });
    expect(parse(waitingFor('There are no nodes with the label ‘linux &&’'))).toEqual({
      kind: 'invalid',
      field: 'data.queueCauses.0.reasonForWaiting',
      problem: expect.stringContaining('not a Jenkins label expression'),
    });
  });

  // The poll and the QueueListener script key on the configured URL; Jenkins' own root URL is often
  // another name of the same controller, which gave one build two requests (and two agents).
  it('keys every event on the configured URL, whatever controller URL the event names', () => {
    const named = (ciUrl: string | null, source?: string) =>
      eventOf(
        parse(
          input(
            {
              ...binaryHeaders('org.jenkinsci.queue.entered_waiting'),
              ...(source ? { 'ce-source': source } : {}),
            },
            { jenkinsQueueId: 8, ciUrl, why: 'There are no nodes with the label ‘x’' },
          ),
        ),
      ).jobKey;
    expect(named(null)).toBe('http://jenkins.ci.svc:8080/#8');
    expect(named('https://ci.example.com/')).toBe('http://jenkins.ci.svc:8080/#8');
    expect(named(null, 'https://bob:pw@ci.example.com/jenkins?x=1')).toBe('http://jenkins.ci.svc:8080/#8');
    // The reaper's poll of the same queue item: one request, not two.
    const polled = queuedBuildFromQueueItem(
      { id: 8, label: 'x' },
      normaliseControllerUrl('http://jenkins.ci.svc:8080') ?? '',
    );
    expect(polled?.jobKey).toBe(named('https://ci.example.com/'));
  });

  it("keeps the poll's task url only as an http(s) link of at most 2,000 characters", () => {
    const controllerUrl = normaliseControllerUrl('http://jenkins.ci.svc:8080') ?? '';
    const polledWith = (taskUrl: string) =>
      queuedBuildFromQueueItem({ id: 8, label: 'linux', taskUrl }, controllerUrl);
    expect(polledWith('https://jenkins.example.com/job/app/')?.url).toBe(
      'https://jenkins.example.com/job/app/',
    );
    for (const taskUrl of [
      'javascript:alert(1)//',
      `https://jenkins.example.com/${'job/deep/'.repeat(300)}`,
      // Not text, which a record cannot hold (DynamoDB's UTF-8): half a surrogate pair, a control.
      'https://jenkins.example.com/job/a\ud800/1/',
      'https://jenkins.example.com/job/a\u0001/1/',
    ]) {
      const polled = polledWith(taskUrl);
      expect(polled).toMatchObject({ action: 'queued', labels: ['linux'] });
      expect(polled?.url).toBeUndefined();
    }
  });

  it('turns a left event into cancelled or started only when the data (the relay) says which', () => {
    const left = (data: Record<string, unknown>) =>
      parse(
        input(binaryHeaders('org.jenkinsci.queue.left', 'ce-left'), {
          jenkinsQueueId: 25,
          ciUrl: 'https://ci.example.com/',
          status: 'LEFT',
          ...data,
        }),
      );
    expect(left({})).toEqual({ kind: 'ignored', reason: expect.stringContaining('left the queue') });
    expect(eventOf(left({ cancelled: true }))).toMatchObject({
      action: 'cancelled',
      jobKey: 'http://jenkins.ci.svc:8080/#25',
      deliveryId: 'ce-left',
    });
    expect(eventOf(left({ cancelled: true })).retireAgentsOnStart).toBeUndefined();
    // A start (for a Pipeline's node block, the only one): provision takes busy agents out of rotation.
    expect(eventOf(left({ cancelled: false }))).toMatchObject({
      action: 'started',
      jobKey: 'http://jenkins.ci.svc:8080/#25',
      retireAgentsOnStart: true,
    });
  });

  it('reads the plugin job completed event, keyed by the build queue id', () => {
    expect(eventOf(parse(fromFixture('cloudevent-job-completed-binary')))).toEqual({
      source: 'jenkins',
      jobKey: 'http://jenkins.ci.svc:8080/#25',
      action: 'completed',
      labels: [],
      deliveryId: '345acb40-5b5a-4e1a-a3da-b5b31dbabb08',
      url: 'https://jenkins.example.com/job/app/42/',
      details: {
        source: 'jenkins',
        controllerUrl: 'http://jenkins.ci.svc:8080/',
        queueItemId: 25,
        label: '',
      },
    });
  });

  it('maps job started, and a completed ABORTED run to cancelled', () => {
    const { headers, body } = fixture('cloudevent-job-completed-binary');
    const build = (body as { build: Record<string, unknown> }).build;
    const started = input(
      { ...headers, 'ce-type': 'org.jenkinsci.job.started' },
      { ...(body as object), build: { ...build, phase: 'STARTED', status: null } },
    );
    const aborted = input(headers, { ...(body as object), build: { ...build, status: 'ABORTED' } });
    expect(eventOf(parse(started)).action).toBe('started');
    expect(eventOf(parse(aborted)).action).toBe('cancelled');
  });

  it('refuses data whose stage contradicts the type (a replayed body under a forged ce-type)', () => {
    const { headers, body } = fixture('cloudevent-job-completed-binary');
    expect(parse(input({ ...headers, 'ce-type': 'org.jenkinsci.job.started' }, body))).toEqual({
      kind: 'invalid',
      field: 'data.build.phase',
      problem: expect.stringContaining('does not match'),
    });
    const { headers: queueHeaders, body: queueBody } = fixture('cloudevent-entered-waiting-binary');
    expect(parse(input({ ...queueHeaders, 'ce-type': 'org.jenkinsci.queue.left' }, queueBody))).toMatchObject(
      {
        kind: 'invalid',
        field: 'data.status',
      },
    );
  });

  it('ignores event types Pitcrew does not act on', () => {
    for (const type of ['org.jenkinsci.job.finalized', 'org.jenkinsci.node.online', 'com.example.other']) {
      expect(parse(input(binaryHeaders(type), {}))).toEqual({
        kind: 'ignored',
        reason: expect.stringContaining(type),
      });
    }
  });

  it('reads data_base64 in structured mode', () => {
    const data = { jenkinsQueueId: 9, why: 'Waiting for next available executor on ‘linux’' };
    const body = {
      specversion: '1.0',
      id: 'b64',
      source: 'https://ci.example.com/',
      type: 'org.jenkinsci.queue.entered_waiting',
      data_base64: Buffer.from(JSON.stringify(data)).toString('base64'),
    };
    expect(eventOf(parse(input({ 'content-type': 'application/cloudevents+json' }, body)))).toMatchObject({
      jobKey: 'http://jenkins.ci.svc:8080/#9',
    });
  });

  describe('invalid CloudEvents name the field', () => {
    const structured = (body: unknown) =>
      parse(input({ 'content-type': 'application/cloudevents+json' }, body));
    const { body: good } = fixture('cloudevent-entered-waiting-structured');

    it.each([
      ['id', 'id'],
      ['type', 'type'],
      ['specversion', 'specversion'],
    ])('structured without %s', (missing, field) => {
      const { [missing]: _removed, ...rest } = good as Record<string, unknown>;
      expect(structured(rest)).toMatchObject({ kind: 'invalid', field });
    });

    it('structured with a wrong specversion, no data, or a bad queue id', () => {
      expect(structured({ ...(good as object), specversion: '0.3' })).toMatchObject({
        kind: 'invalid',
        field: 'specversion',
      });
      expect(structured({ ...(good as object), data: undefined })).toMatchObject({
        kind: 'invalid',
        field: 'data',
      });
      const data = (good as { data: object }).data;
      expect(structured({ ...(good as object), data: { ...data, jenkinsQueueId: 'twelve' } })).toMatchObject({
        kind: 'invalid',
        field: 'data.jenkinsQueueId',
      });
      expect(structured({ ...(good as object), data: { ...data, jenkinsQueueId: -1 } })).toMatchObject({
        field: 'data.jenkinsQueueId',
      });
    });

    it.each(['ce-id', 'ce-source', 'ce-type', 'ce-specversion'])(
      'refuses binary mode, whose %s the signature does not cover, naming the header',
      (header) => {
        const { body } = fixture('cloudevent-entered-waiting-binary');
        expect(parse(raw({ 'content-type': 'application/json', [header]: 'x' }, body))).toEqual({
          kind: 'invalid',
          field: `header ${header}`,
          problem: expect.stringContaining('send structured mode'),
        });
      },
    );

    it('refuses the plugin binary-mode event as it comes, unrelayed', () => {
      const { headers, body } = fixture('cloudevent-entered-waiting-binary');
      expect(parse(raw(headers, body))).toMatchObject({
        kind: 'invalid',
        field: expect.stringMatching(/^header ce-/),
      });
    });

    // A URL over 2,000 characters is dropped and the event taken: a build's link is for display, and
    // the job key reads none, the controller's ciUrl neither (a review of the fixes, 2026-12-06).
    const long = `https://ci.example.com/${'a'.repeat(2000)}`;
    it('structured queue event with a ciUrl over 2,000 characters: keyed by the configured controller', () => {
      const parsed = parse(
        input(binaryHeaders('org.jenkinsci.queue.entered_waiting'), {
          jenkinsQueueId: 7,
          ciUrl: long,
          why: 'There are no nodes with the label ‘linux’',
        }),
      );
      expect(parsed).toMatchObject({ kind: 'event', event: { jobKey: expect.stringMatching(/#7$/) } });
      expect(parsed.kind === 'event' && parsed.event.jobKey).not.toContain('aaaa');
    });
    it.each([
      ['org.jenkinsci.job.started', { build: { queueId: 7, fullUrl: long, url: 'job/a/1/' } }, 'started'],
      [
        'org.jenkinsci.job.completed',
        { build: { queueId: 7, fullUrl: 'https://ci/', url: long } },
        'completed',
      ],
    ])(
      'structured %s with a build link over 2,000 characters is taken without it (%#)',
      (type, data, action) => {
        const parsed = parse(input(binaryHeaders(type), data));
        expect(parsed).toMatchObject({ kind: 'event', event: { action } });
        expect(parsed.kind === 'event' && (parsed.event.url ?? '').length).toBeLessThanOrEqual(2000);
      },
    );

    it('structured with a data that lacks the queue id', () => {
      const headers = binaryHeaders('org.jenkinsci.queue.entered_waiting');
      expect(parse(input(headers, { why: 'Waiting for next available executor on ‘linux’' }))).toMatchObject({
        kind: 'invalid',
        field: 'data.jenkinsQueueId',
      });
    });

    it('batched mode', () => {
      expect(parse(input({ 'content-type': 'application/cloudevents-batch+json' }, [good]))).toMatchObject({
        kind: 'invalid',
        field: 'header content-type',
      });
    });
  });
});

describe('Jenkins parseWebhook: the JSON contract', () => {
  const contract = (body: unknown, headers: Record<string, string> = { 'x-pitcrew-delivery': 'd-1' }) =>
    parse(input({ 'content-type': 'application/json', ...headers }, body));

  it('reads the sample queued body, keyed by the configured controller URL', () => {
    expect(parse(fromFixture('generic-queued'))).toEqual({
      kind: 'event',
      event: {
        source: 'jenkins',
        jobKey: 'http://jenkins.ci.svc:8080/#1234',
        action: 'queued',
        labels: ['linux', 'docker'],
        labelRule: { text: 'the label expression "linux && docker"', satisfiedBy: expect.any(Function) },
        deliveryId: '0c8e1d4e-7d55-4c2a-b0a5-1f7a3d9c2e61',
        url: 'https://jenkins.example.com/job/app/',
        details: {
          source: 'jenkins',
          controllerUrl: 'http://jenkins.ci.svc:8080/',
          queueItemId: 1234,
          label: 'linux && docker',
        },
      },
    });
  });

  it('takes a numeric string id and combines several label entries', () => {
    const event = eventOf(
      contract({ action: 'queued', job: { id: '42', labels: ['linux', 'docker || podman'] } }),
    );
    expect(event.details).toMatchObject({ queueItemId: 42, label: 'linux && (docker || podman)' });
    expect(event.labels).toEqual(['linux', 'docker']);
  });

  it('refuses label entries that together pass the limit of labels and operators, at once', () => {
    // 32 entries of 500 characters each are what the contract allows: 8,000 parts joined, which the
    // search for the labels needed took minutes over before the limit.
    const entry = Array.from({ length: 110 }, (_, index) => `l${index % 16}`).join('&&');
    const parsed = contract({
      action: 'queued',
      job: { id: 5, labels: Array.from({ length: 32 }, () => entry) },
    });
    expect(parsed).toMatchObject({ kind: 'invalid', field: 'job.labels' });
    expect(JSON.stringify(parsed)).toContain('has more than 256 labels and operators');
  });

  it.each(['started', 'completed', 'cancelled'] as const)('passes %s through, labels or not', (action) => {
    expect(eventOf(contract({ action, job: { id: 5, labels: [] } }))).toMatchObject({
      action,
      labels: [],
      jobKey: 'http://jenkins.ci.svc:8080/#5',
    });
  });

  it('ignores a queued build that names no label', () => {
    expect(contract({ action: 'queued', job: { id: 5, labels: [] } })).toEqual({
      kind: 'ignored',
      reason: expect.stringContaining('no label'),
    });
  });

  it.each([
    [{ job: { id: 1, labels: ['linux'] } }, 'action'],
    [{ action: 'finished', job: { id: 1, labels: ['linux'] } }, 'action'],
    [{ action: 'queued' }, 'job'],
    [{ action: 'queued', job: { labels: ['linux'] } }, 'job.id'],
    [{ action: 'queued', job: { id: 'build-1', labels: ['linux'] } }, 'job.id'],
    [{ action: 'queued', job: { id: 0, labels: ['linux'] } }, 'job.id'],
    [{ action: 'queued', job: { id: 1, labels: 'linux' } }, 'job.labels'],
    [{ action: 'queued', job: { id: 1, labels: ['linux docker'] } }, 'job.labels.0'],
    [{ action: 'queued', job: { id: 1, labels: ['linux'], image: 'evil' } }, 'job'],
    [{ action: 'queued', job: { id: 1, labels: ['linux'] }, extra: true }, 'body'],
  ])('refuses %j naming %s', (body, field) => {
    expect(contract(body)).toEqual({ kind: 'invalid', field, problem: expect.any(String) });
  });

  // The QueueListener script sends Jenkins' own link (rootUrl + task.url, percent-encoded): one that
  // is not http(s), or over 2,000 characters (four folders named in CJK), is dropped and the build
  // taken; refused, it was never provisioned with the poll off (a review of the fixes, 2026-12-06).
  it.each([
    'ftp://x',
    `https://jenkins.example.com/${`job/${encodeURIComponent('\u30d3\u30eb\u30c9'.repeat(20))}/`.repeat(4)}`,
  ])('takes a queued build whose job.url it cannot keep, without it (%#)', (url) => {
    const parsed = contract({ action: 'queued', job: { id: 1234, labels: ['linux'], url } });
    expect(parsed).toMatchObject({ kind: 'event', event: { action: 'queued', labels: ['linux'] } });
    expect(parsed.kind === 'event' && parsed.event.url).toBeUndefined();
  });

  it('refuses malformed JSON and a missing delivery id', () => {
    expect(contract('{"action": "queued", ')).toEqual({
      kind: 'invalid',
      field: 'body',
      problem: 'is not valid JSON',
    });
    expect(contract({ action: 'queued', job: { id: 1, labels: ['linux'] } }, {})).toEqual({
      kind: 'invalid',
      field: 'header x-pitcrew-delivery',
      problem: expect.any(String),
    });
  });

  it('never throws, whatever the bytes', () => {
    const junk = [
      Buffer.from([0xff, 0xfe, 0x00]),
      Buffer.from('null'),
      Buffer.from('[]'),
      Buffer.from('"x"'),
      Buffer.alloc(0),
    ];
    const headerSets = [
      {},
      { 'content-type': 'application/cloudevents+json' },
      binaryHeaders('org.jenkinsci.queue.entered_waiting'),
    ];
    for (const rawBody of junk) {
      for (const headers of headerSets) {
        expect(['invalid', 'ignored']).toContain(source.parseWebhook({ headers, rawBody }).kind);
      }
    }
  });
});

describe('Jenkins webhook receiver', () => {
  it('is named jenkins and takes Pitcrew timestamped signatures, 5 minutes either way by default', () => {
    expect(source.name).toBe('jenkins');
    expect(source.signing).toMatchObject({
      kind: 'timestamped',
      signatureHeader: 'x-pitcrew-signature-256',
      timestampHeader: 'x-pitcrew-timestamp',
      toleranceSeconds: 300,
    });
  });

  it('takes the configured tolerance, and refuses a url that is not http(s)', () => {
    const strict = createJenkinsWebhookReceiver({
      url: 'https://ci.example.com',
      signatureToleranceSeconds: 60,
    });
    expect(strict.signing).toMatchObject({ toleranceSeconds: 60 });
    expect(() => createJenkinsWebhookReceiver({ url: 'ftp://ci.example.com' })).toThrow(/http\(s\) URL/);
  });
});

describe('Jenkins parseWebhook: a why that names the one node with the label', () => {
  // Queue.BuildableItem.getCauseOfBlockage names the node, not the label, when exactly one node has
  // it: with one agent per build, the last build's node, still connecting or busy (a review of the
  // Jenkins path, 2026-12-06). The build was ignored, and no other event brings it.
  const templates = [
    templateSchema.parse({ name: 'jk-linux', source: 'jenkins', labels: ['linux'] }),
    templateSchema.parse({
      name: 'jk-linux-big',
      source: 'jenkins',
      labels: ['linux', 'big'],
      match: 'exact',
    }),
  ];
  const node = podNameFor('jk-linux-big', requestIdFor('jenkins', 'http://jenkins.ci.svc:8080/#6'));

  it.each([`‘${node}’ is offline`, `Waiting for next available executor on ‘${node}’`])(
    '%s: served by the template that made the node, whatever its match',
    (why) => {
      const event = eventOf(parse(waitingFor(why)));
      expect(event.labels).toEqual([node]);
      expect(matchTemplate(templates, event)).toMatchObject({
        kind: 'match',
        template: { name: 'jk-linux-big' },
      });
    },
  );

  // These texts name what the build asks for, never the one node with it: a build pinned to a node
  // (a Pipeline resumed after a restart) whose pod is gone. Another agent could not take it.
  it.each([`There are no nodes with the label ‘${node}’`, `All nodes of label ‘${node}’ are offline`])(
    '%s: no agent, from the relay or the poll',
    (why) => {
      expect(matchTemplate(templates, eventOf(parse(waitingFor(why))))).toMatchObject({ kind: 'none' });
      const polled = queuedBuildFromQueueItem({ id: 9, ...readWhy(why) }, 'http://jenkins.ci.svc:8080/');
      expect(polled).toBeDefined();
      expect(matchTemplate(templates, polled!)).toMatchObject({ kind: 'none' });
    },
  );

  it('a node no template made, or a build that names a node in its own labels, gets no agent', () => {
    const other = eventOf(parse(waitingFor('‘static-agent-1’ is offline')));
    expect(matchTemplate(templates, other)).toMatchObject({ kind: 'none' });
    // Only a why text names a node for the label: a build pinned to a node's name is not served.
    const pinned = eventOf(
      parse(
        input(
          { 'content-type': 'application/json', 'x-pitcrew-delivery': 'd-8' },
          { action: 'queued', job: { id: 8, labels: [node] } },
        ),
      ),
    );
    expect(matchTemplate(templates, pinned)).toMatchObject({ kind: 'none' });
  });
});
