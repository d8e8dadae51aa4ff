import * as v from '../../../../shared/schema/valibot';
import { anyOrigin } from '../../../support/origin';
import { gitlabModule } from '../../../../shared/sources/gitlab';
import {
  buildActionOf,
  createGitlabWebhookReceiver,
  gitlabSigning,
  parseGitlabWebhook,
} from '../../../../shared/sources/gitlab';
import { verifyDelivery } from '../../../../shared/sources/signature';
import type { WebhookInput } from '../../../../shared/sources/types';

const nowMs = Date.parse('2026-03-01T12:00:00Z');
const tags = ['linux', 'docker'];

/**
 * GitLab's documented Job Hook example, as published on
 * https://docs.gitlab.com/user/project/integrations/webhook_events/#job-events (comments removed),
 * with its dates moved to a minute before `nowMs` and its status set per test.
 */
const documentedJobHook = (status: string) => ({
  object_kind: 'build',
  ref: 'gitlab-script-trigger',
  tag: false,
  before_sha: '2293ada6b400935a1378653304eaf6221e0fdb8f',
  sha: '2293ada6b400935a1378653304eaf6221e0fdb8f',
  build_id: 1977,
  build_name: 'test',
  build_stage: 'test',
  build_status: status,
  build_created_at: '2026-03-01T11:59:00.886Z',
  build_created_at_iso: '2026-03-01T11:59:00Z',
  build_started_at: null,
  build_started_at_iso: null,
  build_finished_at: null,
  build_finished_at_iso: null,
  build_duration: null,
  build_queued_duration: 1095.588715,
  build_allow_failure: false,
  build_failure_reason: 'script_failure',
  retries_count: 2,
  pipeline_id: 2366,
  project_id: 380,
  project_name: 'gitlab-org/gitlab-test',
  user: { id: 3, name: 'User', email: 'user@gitlab.com', avatar_url: 'http://www.gravatar.com/avatar/e32' },
  commit: {
    id: 2366,
    name: 'Build pipeline',
    sha: '2293ada6b400935a1378653304eaf6221e0fdb8f',
    message: 'test\n',
    author_name: 'User',
    author_email: 'user@gitlab.com',
    status: 'created',
    duration: null,
    started_at: null,
    started_at_iso: null,
    finished_at: null,
    finished_at_iso: null,
  },
  repository: {
    name: 'gitlab_test',
    description: 'Atque in sunt eos similique dolores voluptatem.',
    homepage: 'http://192.168.64.1:3005/gitlab-org/gitlab-test',
    git_ssh_url: 'git@192.168.64.1:gitlab-org/gitlab-test.git',
    git_http_url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test.git',
    visibility_level: 20,
  },
  project: {
    id: 380,
    name: 'Gitlab Test',
    description: 'Atque in sunt eos similique dolores voluptatem.',
    web_url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test',
    avatar_url: null,
    git_ssh_url: 'git@192.168.64.1:gitlab-org/gitlab-test.git',
    git_http_url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test.git',
    namespace: 'Gitlab Org',
    visibility_level: 20,
    path_with_namespace: 'gitlab-org/gitlab-test',
    default_branch: 'master',
  },
  runner: {
    active: true,
    runner_type: 'project_type',
    is_shared: false,
    id: 380987,
    description: 'shared-runners-manager-6.gitlab.com',
    tags: ['linux', 'docker'],
  },
  environment: null,
  source_pipeline: {
    project: {
      id: 41,
      web_url: 'https://gitlab.example.com/gitlab-org/upstream-project',
      path_with_namespace: 'gitlab-org/upstream-project',
    },
    pipeline_id: 30,
    job_id: 3401,
  },
});

const headers = {
  'content-type': 'application/json',
  'x-gitlab-event': 'Job Hook',
  'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e',
};

const input = (body: unknown, extra: Record<string, string | undefined> = {}): WebhookInput => ({
  headers: { ...headers, ...extra },
  rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});

const receiver = (overrides: Partial<Parameters<typeof createGitlabWebhookReceiver>[0]> = {}) =>
  createGitlabWebhookReceiver({
    projects: ['gitlab-org/*'],
    allowPublicProjects: true,
    maxJobAgeHours: 24,
    tags,
    now: () => nowMs,
    ...overrides,
  });

describe('GitLab Job Hook parsing', () => {
  it.each([
    ['pending', 'queued'],
    ['running', 'started'],
    ['success', 'completed'],
    ['failed', 'completed'],
    ['canceled', 'cancelled'],
  ])('turns the documented payload with status %s into a %s event', (status, action) => {
    const parsed = receiver().parseWebhook(input(documentedJobHook(status)));
    expect(parsed).toEqual({
      kind: 'event',
      event: {
        source: 'gitlab',
        jobKey: '380:1977',
        action,
        labels: tags,
        origin: anyOrigin('gitlab-org/gitlab-test'),
        deliveryId: '13792a34-cac6-4fda-95a8-c58e00a3954e',
        url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/1977',
        details: { source: 'gitlab', projectId: 380, projectPath: 'gitlab-org/gitlab-test', jobId: 1977 },
      },
    });
    if (parsed.kind === 'event')
      expect(v.safeParse(gitlabModule.detailsSchema, parsed.event.details).success).toBe(true);
  });

  it("names the job's project as its origin, matched as sources.gitlab.projects matches", () => {
    const parsed = receiver().parseWebhook(input(documentedJobHook('pending')));
    const origin = parsed.kind === 'event' ? parsed.event.origin : undefined;
    expect(origin?.name).toBe('gitlab-org/gitlab-test');
    const patterns = [
      'gitlab-org/gitlab-test',
      'gitlab-org/*',
      'GitLab-Org/**',
      'gitlab-org/other',
      'gitlab/*',
    ];
    expect(patterns.map((pattern) => origin?.matches(pattern))).toEqual([true, true, true, false, false]);
  });

  it.each([
    'created',
    'manual',
    'skipped',
    'waiting_for_resource',
    'preparing',
    'scheduled',
    'canceling',
    'toString',
  ])('ignores status %s, which needs no runner', (status) => {
    expect(receiver().parseWebhook(input(documentedJobHook(status)))).toEqual({
      kind: 'ignored',
      reason: `job status ${status} needs no runner`,
    });
  });

  it('maps exactly the statuses that matter', () => {
    expect(buildActionOf('pending')).toBe('queued');
    expect(buildActionOf('constructor')).toBeUndefined();
  });

  it.each(['Push Hook', 'Pipeline Hook', 'Deployment Hook'])('ignores %s deliveries', (event) => {
    expect(receiver().parseWebhook(input({}, { 'x-gitlab-event': event }))).toEqual({
      kind: 'ignored',
      reason: `event ${event} is not Job Hook`,
    });
  });

  it('names the missing event header', () => {
    expect(receiver().parseWebhook(input({}, { 'x-gitlab-event': undefined }))).toMatchObject({
      kind: 'invalid',
      field: 'header x-gitlab-event',
    });
  });

  it('uses the Idempotency-Key as the delivery id when GitLab sends one, as it stays the same on retries', () => {
    const parsed = parseGitlabWebhook(
      input(documentedJobHook('pending'), { 'idempotency-key': 'f2e1a0b4-retry-stable' }),
      tags,
    );
    expect(parsed).toMatchObject({ kind: 'event', event: { deliveryId: 'f2e1a0b4-retry-stable' } });
  });

  it('names the delivery id header when neither id is sent', () => {
    expect(
      receiver().parseWebhook(input(documentedJobHook('pending'), { 'x-gitlab-event-uuid': undefined })),
    ).toMatchObject({ kind: 'invalid', field: 'header x-gitlab-event-uuid' });
  });

  it('names a body that is not JSON', () => {
    expect(receiver().parseWebhook(input('{"object_kind":'))).toEqual({
      kind: 'invalid',
      field: 'body',
      problem: 'is not valid JSON',
    });
  });

  it.each<[string, (body: Record<string, unknown>) => void, string]>([
    ['object_kind', (body) => (body.object_kind = 'pipeline'), 'object_kind'],
    ['build_id', (body) => (body.build_id = '1977'), 'build_id'],
    ['a negative build_id', (body) => (body.build_id = -1), 'build_id'],
    ['project', (body) => delete body.project, 'project'],
    ['project.id', (body) => ((body.project as Record<string, unknown>).id = null), 'project.id'],
    [
      'a path with ..',
      (body) => ((body.project as Record<string, unknown>).path_with_namespace = '../../etc'),
      'project.path_with_namespace',
    ],
    [
      'a path without a group',
      (body) => ((body.project as Record<string, unknown>).path_with_namespace = 'app'),
      'project.path_with_namespace',
    ],
  ])('names the field when %s is wrong', (_what, change, field) => {
    const body: Record<string, unknown> = documentedJobHook('pending');
    change(body);
    expect(receiver().parseWebhook(input(body))).toMatchObject({ kind: 'invalid', field });
  });

  // A link is for display: a project's web_url that is no http(s) URL, or longer than 2,000
  // characters (a path may be 2,048), is dropped and the job taken; GitLab's webhook would otherwise be
  // answered `dropped` and the build lost (a review of the fixes, 2026-12-06).
  it.each(['x', `https://gitlab.example.com/${'g/'.repeat(1000)}app`])(
    'takes the job without a project web_url it cannot keep (%#)',
    (webUrl) => {
      const body: Record<string, unknown> = documentedJobHook('pending');
      (body.project as Record<string, unknown>).web_url = webUrl;
      const parsed = receiver().parseWebhook(input(body));
      expect(parsed).toMatchObject({ kind: 'event', event: { action: 'queued' } });
      expect(parsed.kind === 'event' && parsed.event.url).toBeUndefined();
    },
  );

  it.each([null, 42, [], 'x'.repeat(1_000_000), { object_kind: { deep: [[[[{}]]]] } }])(
    'never throws on bad input (%#)',
    (body) => {
      expect(() => receiver().parseWebhook(input(JSON.stringify(body)))).not.toThrow();
      expect(receiver().parseWebhook(input(JSON.stringify(body))).kind).toBe('invalid');
    },
  );

  it('keeps a long build_status out of the reason it gives', () => {
    const parsed = receiver().parseWebhook(input(documentedJobHook('x'.repeat(10_000))));
    expect(parsed).toMatchObject({ kind: 'invalid', field: 'build_status' });
  });

  it('gives the same job key for every event of the job', () => {
    const keys = ['pending', 'running', 'success'].map((status) => {
      const parsed = receiver().parseWebhook(input(documentedJobHook(status)));
      return parsed.kind === 'event' ? parsed.event.jobKey : parsed.kind;
    });
    expect(new Set(keys)).toEqual(new Set(['380:1977']));
  });
});

describe('GitLab secret token', () => {
  const secret = 'glwt-secret-token';
  const body = Buffer.from('{}');

  it('accepts the token GitLab sends as is in X-Gitlab-Token, and any secret of a rotation', () => {
    expect(verifyDelivery(gitlabSigning, { 'x-gitlab-token': secret }, body, [secret], nowMs)).toBe('valid');
    expect(verifyDelivery(gitlabSigning, { 'x-gitlab-token': secret }, body, ['old', secret], nowMs)).toBe(
      'valid',
    );
  });

  it('refuses another token, and names a missing one', () => {
    expect(verifyDelivery(gitlabSigning, { 'x-gitlab-token': `${secret}x` }, body, [secret], nowMs)).toBe(
      'mismatch',
    );
    expect(verifyDelivery(gitlabSigning, {}, body, [secret], nowMs)).toBe('missing');
    expect(gitlabSigning.signatureHeader).toBe('x-gitlab-token');
  });

  it('signs as GitLab sends: the secret itself in the header', () => {
    expect(gitlabSigning.sign('{}', secret, nowMs)).toEqual({ 'x-gitlab-token': secret });
  });
});
