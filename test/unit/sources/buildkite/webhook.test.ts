import { createBuildkiteWebhookReceiver, parseBuildkiteWebhook } from '../../../../shared/sources/buildkite';
import { anyOrigin } from '../../../support/origin';
import type { WebhookInput } from '../../../../shared/sources/types';
import { jobEvent, jobId } from './contract-samples';

const nowMs = Date.parse('2026-03-01T12:00:00Z');
const input = (headers: Record<string, string>, body: string | object): WebhookInput => ({
  headers,
  rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});
const sample = (event: string, change = {}) => {
  const delivery = jobEvent(event, nowMs, change);
  return input({ ...delivery.headers }, delivery.body);
};
const receiver = (overrides = {}) =>
  createBuildkiteWebhookReceiver({
    organization: 'acme',
    pipelines: ['acme/app'],
    allowPublicPipelines: false,
    maxJobAgeHours: 24,
    signatureToleranceSeconds: 300,
    acceptTokenHeader: false,
    now: () => nowMs,
    ...overrides,
  });

describe('Buildkite webhook parsing', () => {
  it.each([
    ['job.scheduled', 'queued'],
    ['job.started', 'started'],
    ['job.finished', 'completed'],
  ])('maps %s to %s with the query rules as labels and a stable job key', (event, action) => {
    const parsed = parseBuildkiteWebhook(sample(event));
    expect(parsed).toEqual({
      kind: 'event',
      event: {
        source: 'buildkite',
        jobKey: jobId,
        action,
        labels: ['queue=kubernetes'],
        origin: anyOrigin('acme/app'),
        deliveryId: `${event}:${jobId}`,
        url: `https://buildkite.com/acme/app/builds/50#${jobId}`,
        details: { source: 'buildkite', organization: 'acme', pipeline: 'app', buildNumber: 50, jobId },
      },
    });
  });

  it("names the job's pipeline as its origin, matched as sources.buildkite.pipelines matches", () => {
    const parsed = parseBuildkiteWebhook(sample('job.scheduled'));
    const origin = parsed.kind === 'event' ? parsed.event.origin : undefined;
    expect(origin?.name).toBe('acme/app');
    const patterns = ['acme/app', 'ACME/*', 'acme/api', 'other/*'];
    expect(patterns.map((pattern) => origin?.matches(pattern))).toEqual([true, true, false, false]);
  });

  it('maps a finished job whose state is canceled to cancelled', () => {
    const parsed = parseBuildkiteWebhook(sample('job.finished', { state: 'canceled' }));
    expect(parsed.kind === 'event' && parsed.event.action).toBe('cancelled');
  });

  it.each(['job.activated', 'ping', 'build.scheduled', 'agent.connected'])('ignores %s', (event) => {
    const body = JSON.parse(sample('job.scheduled').rawBody.toString()) as Record<string, unknown>;
    expect(parseBuildkiteWebhook(input({ 'x-buildkite-event': event }, { ...body, event })).kind).toBe(
      'ignored',
    );
  });

  it('ignores a finished job that is not a command step', () => {
    const body = JSON.parse(sample('job.finished').rawBody.toString()) as { job: Record<string, unknown> };
    const parsed = parseBuildkiteWebhook(input({}, { ...body, job: { ...body.job, type: 'trigger' } }));
    expect(parsed.kind).toBe('ignored');
  });

  it('believes the signed body over the unsigned header, and refuses a mismatch', () => {
    const delivery = sample('job.scheduled');
    expect(
      parseBuildkiteWebhook({ ...delivery, headers: { 'x-buildkite-event': 'job.finished' } }),
    ).toMatchObject({
      kind: 'invalid',
      field: 'header x-buildkite-event',
    });
  });

  it.each<[string, unknown, string]>([
    ['job.id', 'not a uuid; rm -rf', 'job.id'],
    ['job.agent_query_rules', [''], 'job.agent_query_rules.0'],
    ['pipeline.slug', '../../etc', 'pipeline.slug'],
    ['pipeline.url', 'https://example.com/nothing', 'pipeline.url'],
  ])('names a bad %s', (path, value, field) => {
    const body = JSON.parse(sample('job.scheduled').rawBody.toString()) as Record<
      string,
      Record<string, unknown>
    >;
    const [outer, inner] = path.split('.') as [string, string];
    body[outer] = { ...body[outer], [inner]: value };
    expect(parseBuildkiteWebhook(input({}, body))).toMatchObject({ kind: 'invalid', field });
  });

  // Kept on the request record, which DynamoDB would refuse past 400 KB at every retry: an over-long
  // link, or one that is not http(s), is dropped and the job taken (refusing it would lose the build).
  it.each([`https://buildkite.com/${'a'.repeat(2000)}`, 'javascript:alert(1)', null])(
    'takes the job without a job.web_url that is over 2,000 characters, not http(s), or null (%#)',
    (web_url) => {
      const body = JSON.parse(sample('job.scheduled').rawBody.toString()) as Record<
        string,
        Record<string, unknown>
      >;
      body.job = { ...body.job, web_url };
      const parsed = parseBuildkiteWebhook(input({}, body));
      expect(parsed).toMatchObject({ kind: 'event', event: { action: 'queued' } });
      expect(parsed.kind === 'event' && parsed.event.url).toBeUndefined();
    },
  );

  it('never throws on bad input: not JSON, null, deep nesting, a megabyte string', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    for (const body of ['not json', 'null', deep, JSON.stringify({ event: 'x'.repeat(1_000_000) })])
      expect(() => parseBuildkiteWebhook(input({}, body))).not.toThrow();
    expect(parseBuildkiteWebhook(input({}, 'null'))).toMatchObject({ kind: 'invalid' });
  });
});

describe('Buildkite trust rules', () => {
  it('lets an allowed private pipeline through', () => {
    expect(receiver().parseWebhook(sample('job.scheduled')).kind).toBe('event');
  });

  it.each<[string, object, object, string]>([
    [
      'another organization',
      { organization: 'mallory' },
      { pipelines: ['acme/*'] },
      'organization-not-allowed',
    ],
    ['an unlisted pipeline', { pipeline: 'other' }, {}, 'pipeline-not-allowed'],
    ['a public pipeline', { visibility: 'public' }, {}, 'public-pipeline'],
    ['a pipeline of unknown visibility', { visibility: null }, {}, 'visibility-unknown'],
  ])('refuses %s', (_name, change, policy, reason) => {
    expect(receiver(policy).parseWebhook(sample('job.scheduled', change))).toMatchObject({
      kind: 'refused',
      reason,
    });
  });

  it('allows a public pipeline when told to', () => {
    expect(
      receiver({ allowPublicPipelines: true }).parseWebhook(sample('job.scheduled', { visibility: 'public' }))
        .kind,
    ).toBe('event');
  });

  it('refuses a pull request from a fork, not one from the pipeline repository', () => {
    const body = JSON.parse(sample('job.scheduled').rawBody.toString()) as { build: object };
    const fork = {
      ...body,
      build: { number: 50, pull_request: { id: '7', repository: 'https://github.com/mallory/app.git' } },
    };
    const own = {
      ...body,
      build: { number: 50, pull_request: { id: '8', repository: 'https://github.com/acme/app' } },
    };
    expect(receiver().parseWebhook(input({}, fork))).toMatchObject({
      kind: 'refused',
      reason: 'fork-pull-request',
    });
    expect(receiver().parseWebhook(input({}, own)).kind).toBe('event');
  });

  it('refuses a stale scheduled job only when no signed timestamp bounds the delivery', () => {
    const stale = receiver({ now: () => nowMs + 25 * 3_600_000 });
    expect(stale.parseWebhook(sample('job.scheduled'))).toMatchObject({
      kind: 'refused',
      reason: 'job-too-old',
    });
    const signed = sample('job.scheduled');
    const withSignature = {
      ...signed,
      headers: { ...signed.headers, 'x-buildkite-signature': 'timestamp=1,signature=00' },
    };
    expect(stale.parseWebhook(withSignature).kind).toBe('event');
    expect(stale.parseWebhook(sample('job.finished')).kind).toBe('event');
  });

  it('refuses an unsigned scheduled job that carries no date', () => {
    const body = JSON.parse(sample('job.scheduled').rawBody.toString()) as { job: Record<string, unknown> };
    const { created_at: _c, scheduled_at: _s, runnable_at: _r, ...job } = body.job;
    expect(receiver().parseWebhook(input({}, { ...body, job }))).toMatchObject({ reason: 'job-too-old' });
  });
});
