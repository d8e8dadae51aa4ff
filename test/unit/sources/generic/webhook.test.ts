import { parseGenericWebhook } from '../../../../shared/sources/generic/webhook';
import { parseGithubWebhook } from '../../../../shared/sources/github/webhook';

/** The generic contract's parser (signature already verified): what it refuses, and how it says so. */
const input = (body: unknown, delivery: string | null = 'd-1') => ({
  rawBody: Buffer.from(JSON.stringify(body)),
  headers: delivery === null ? {} : { 'x-pitcrew-delivery': delivery },
});

describe('the generic webhook parser', () => {
  const queued = { action: 'queued', job: { id: 'build-1', labels: ['linux'] } };

  it('parses a queued build into its event, the job id as its key', () => {
    expect(parseGenericWebhook(input(queued))).toMatchObject({
      kind: 'event',
      event: { source: 'generic', jobKey: 'build-1', action: 'queued', labels: ['linux'], deliveryId: 'd-1' },
    });
  });

  it.each([
    ['missing', null, 'is required (a unique id per delivery)'],
    ['empty', '', 'is required (a unique id per delivery)'],
    ['over 200 characters', 'd'.repeat(201), 'is over 200 characters (a unique id per delivery)'],
  ])('refuses a delivery id %s, saying which', (_what, delivery, problem) => {
    expect(parseGenericWebhook(input(queued, delivery))).toEqual({
      kind: 'invalid',
      field: 'header x-pitcrew-delivery',
      problem,
    });
  });

  it.each([
    ['without job.labels', { id: 'build-1' }],
    ['with no label', { id: 'build-1', labels: [] }],
  ])('refuses a queued build %s, naming job.labels (no template could serve it)', (_what, job) => {
    expect(parseGenericWebhook(input({ action: 'queued', job }))).toEqual({
      kind: 'invalid',
      field: 'job.labels',
      problem: 'must name at least one label for a queued build',
    });
  });

  it.each([
    ['javascript:alert(1)', 'must be an http(s) URL'],
    ['data:text/html,<script>alert(1)</script>', 'must be an http(s) URL'],
    ['https://bob:hunter2@ci.example.com/build/42', 'must not carry a user name or password'],
    ['https://token@ci.example.com/build/42', 'must not carry a user name or password'],
    [`https://ci.example.com/${'x'.repeat(2000)}`, expect.any(String)],
  ])('refuses job.url %s, naming it: a link shown by ops is an http(s) URL', (url, problem) => {
    expect(parseGenericWebhook(input({ ...queued, job: { ...queued.job, url } }))).toEqual({
      kind: 'invalid',
      field: 'job.url',
      problem,
    });
  });

  it.each([
    ['a NUL', 'build\u00001'],
    ['a newline', 'build-1\n'],
    ['an unpaired surrogate', 'build-\ud8001'],
  ])('refuses a job.id with %s, naming it: the agent gets the id in its environment', (_what, id) => {
    expect(parseGenericWebhook(input({ ...queued, job: { ...queued.job, id } }))).toEqual({
      kind: 'invalid',
      field: 'job.id',
      problem: 'must be text (no control character, no unpaired surrogate)',
    });
  });

  it('takes a job.id of any other text, an emoji and accents included', () => {
    for (const id of ['build 42', 'déploiement-7', 'ci-😀-1'])
      expect(parseGenericWebhook(input({ ...queued, job: { ...queued.job, id } }))).toMatchObject({
        kind: 'event',
        event: { jobKey: id },
      });
  });

  it('takes an http or https job.url', () => {
    for (const url of ['https://ci.example.com/build/42', 'http://ci.internal:8080/job/7'])
      expect(parseGenericWebhook(input({ ...queued, job: { ...queued.job, url } }))).toMatchObject({
        kind: 'event',
        event: { url },
      });
  });

  it('takes an end event without labels: it names a build already known by its id', () => {
    expect(parseGenericWebhook(input({ action: 'completed', job: { id: 'build-1' } }))).toMatchObject({
      kind: 'event',
      event: { action: 'completed', labels: [] },
    });
  });
});

describe("GitHub's delivery id", () => {
  it('is refused over 200 characters as too long, not as missing', () => {
    const parsed = parseGithubWebhook({
      rawBody: Buffer.from('{}'),
      headers: { 'x-github-event': 'workflow_job', 'x-github-delivery': 'g'.repeat(201) },
    });
    expect(parsed).toMatchObject({
      kind: 'invalid',
      field: 'header x-github-delivery',
      problem: 'is over 200 characters (a unique id per delivery)',
    });
  });
});
