import { createGithubWebhookReceiver, type GithubTrustPolicy } from '../../../../shared/sources/github';
import type { ParsedWebhook } from '../../../../shared/sources/types';

const nowMs = Date.parse('2026-12-02T10:00:00Z');

const policy = (overrides: Partial<GithubTrustPolicy> = {}): GithubTrustPolicy => ({
  repositories: ['acme/app', 'tools/*'],
  allowPublicRepositories: false,
  maxJobAgeHours: 24,
  now: () => nowMs,
  ...overrides,
});

interface JobShape {
  readonly action?: string;
  readonly owner?: string;
  readonly repo?: string;
  readonly repository?: Record<string, unknown>;
  readonly installation?: number | null;
  readonly createdAt?: string | null;
}

/** A workflow_job delivery as GitHub documents it, from a private repository unless told otherwise. */
function delivery(shape: JobShape = {}) {
  const body = {
    action: shape.action ?? 'queued',
    workflow_job: {
      id: 7,
      run_id: 70,
      labels: ['self-hosted', 'linux'],
      conclusion: shape.action === 'completed' ? 'success' : null,
      ...(shape.createdAt === null ? {} : { created_at: shape.createdAt ?? '2026-12-02T09:58:00Z' }),
    },
    repository: {
      name: shape.repo ?? 'app',
      owner: { login: shape.owner ?? 'acme' },
      ...(shape.repository ?? { private: true, visibility: 'private' }),
    },
    ...(shape.installation === null ? {} : { installation: { id: shape.installation ?? 42 } }),
  };
  return {
    headers: { 'x-github-event': 'workflow_job', 'x-github-delivery': 'd-1' },
    rawBody: Buffer.from(JSON.stringify(body)),
  };
}

const judge = (shape: JobShape, overrides: Partial<GithubTrustPolicy> = {}): ParsedWebhook =>
  createGithubWebhookReceiver(policy(overrides)).parseWebhook(delivery(shape));

const refusalOf = (parsed: ParsedWebhook) => (parsed.kind === 'refused' ? parsed.reason : parsed.kind);

describe('GitHub trust policy', () => {
  it('lets a recent queued job of an allowed private repository through', () => {
    expect(judge({})).toMatchObject({ kind: 'event', event: { jobKey: '7', action: 'queued' } });
    expect(judge({ owner: 'Tools', repo: 'anything' })).toMatchObject({ kind: 'event' });
  });

  it('refuses a repository outside the allow-list, for every action, naming it', () => {
    for (const action of ['queued', 'in_progress', 'completed']) {
      expect(judge({ action, owner: 'acme', repo: 'other' })).toEqual({
        kind: 'refused',
        reason: 'repository-not-allowed',
        subject: 'acme/other',
        problem: 'acme/other is not among sources.github.repositories',
      });
    }
    // `owner/*` does not reach another owner whose name starts the same.
    expect(refusalOf(judge({ owner: 'toolsmith', repo: 'x' }))).toBe('repository-not-allowed');
  });

  it('refuses public repositories by default, and a payload that hides its visibility', () => {
    expect(refusalOf(judge({ repository: { private: false } }))).toBe('public-repository');
    expect(refusalOf(judge({ repository: { visibility: 'public' } }))).toBe('public-repository');
    expect(refusalOf(judge({ repository: { private: false, visibility: 'public' } }))).toBe(
      'public-repository',
    );
    expect(refusalOf(judge({ repository: {} }))).toBe('visibility-unknown');
    expect(judge({ repository: { private: true, visibility: 'internal' } })).toMatchObject({ kind: 'event' });
  });

  it('lets public repositories through when the operator says so', () => {
    expect(judge({ repository: { private: false } }, { allowPublicRepositories: true })).toMatchObject({
      kind: 'event',
    });
  });

  it('judges visibility for every action (a refused job leaves no tombstone), age only for queued jobs', () => {
    expect(refusalOf(judge({ action: 'completed', repository: { private: false } }))).toBe(
      'public-repository',
    );
    expect(refusalOf(judge({ action: 'in_progress', repository: {} }))).toBe('visibility-unknown');
    // A long build's end event is not a replay.
    expect(judge({ action: 'completed', createdAt: '2026-11-20T00:00:00Z' })).toMatchObject({
      kind: 'event',
    });
    expect(judge({ action: 'completed', createdAt: null })).toMatchObject({ kind: 'event' });
  });

  it('fails closed on a visibility it does not know', () => {
    for (const visibility of ['PUBLIC', '', 'shared-with-everyone'])
      expect({
        visibility,
        refusal: refusalOf(judge({ repository: { private: true, visibility } })),
      }).toEqual({
        visibility,
        refusal: 'public-repository',
      });
  });

  it('refuses another installation, or none, when one is configured', () => {
    expect(judge({ installation: 42 }, { installationId: 42 })).toMatchObject({ kind: 'event' });
    expect(judge({ installation: 43 }, { installationId: 42 })).toMatchObject({
      kind: 'refused',
      reason: 'installation-not-allowed',
      problem: 'installation 43 is not the configured installation 42',
    });
    expect(refusalOf(judge({ installation: null }, { installationId: 42 }))).toBe('installation-not-allowed');
    expect(refusalOf(judge({ action: 'completed', installation: 43 }, { installationId: 42 }))).toBe(
      'installation-not-allowed',
    );
  });

  it('refuses a queued job older than maxJobAgeHours, or with no date', () => {
    expect(refusalOf(judge({ createdAt: '2026-12-01T09:59:00Z' }))).toBe('job-too-old');
    expect(judge({ createdAt: '2026-12-01T10:01:00Z' })).toMatchObject({ kind: 'event' });
    expect(judge({ createdAt: '2026-11-30T10:00:00Z' }, { maxJobAgeHours: 72 })).toMatchObject({
      kind: 'event',
    });
    expect(refusalOf(judge({ createdAt: null }))).toBe('job-too-old');
    expect(refusalOf(judge({ createdAt: 'yesterday' }))).toBe('job-too-old');
  });

  it('leaves ping, other events and malformed bodies to the parser', () => {
    const receiver = createGithubWebhookReceiver(policy());
    expect(
      receiver.parseWebhook({ headers: { 'x-github-event': 'ping' }, rawBody: Buffer.from('{}') }),
    ).toEqual({
      kind: 'ignored',
      reason: 'ping',
    });
    expect(receiver.signing).toMatchObject({ kind: 'body', signatureHeader: 'x-hub-signature-256' });
  });
});
