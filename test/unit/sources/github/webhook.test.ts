import { parseGithubWebhook } from '../../../../shared/sources/github';
import type { ParsedWebhook, WebhookInput } from '../../../../shared/sources/types';
import { anyOrigin } from '../../../support/origin';

/**
 * Trimmed from GitHub's documented workflow_job examples
 * (https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_job, the same payloads as
 * octokit/webhooks payload-examples/api.github.com/workflow_job/*.json); fields Pitcrew does not read
 * are kept to show they are tolerated.
 */
function workflowJobPayload(action: string, job: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action,
    workflow_job: {
      id: 289782451,
      run_id: 2202229078,
      run_url: 'https://api.github.com/repos/octo-org/octo-repo/actions/runs/1291536064',
      run_attempt: 1,
      node_id: 'MDExOldvcmtmbG93UnVuMjg5NzgyNDUx',
      head_sha: '3484a3fb816e0859fd6e1cea078d76385ff50625',
      html_url: 'https://github.com/octo-org/octo-repo/runs/1291536064',
      status: action === 'in_progress' ? 'in_progress' : action === 'completed' ? 'completed' : 'queued',
      conclusion: null,
      started_at: '2021-09-13T02:21:13Z',
      completed_at: null,
      name: 'update',
      steps: [],
      labels: ['self-hosted', 'linux'],
      runner_id: null,
      runner_name: null,
      runner_group_id: null,
      runner_group_name: null,
      ...job,
    },
    repository: {
      id: 186853002,
      name: 'Hello-World',
      full_name: 'Octocoders/Hello-World',
      private: false,
      owner: { login: 'Octocoders', id: 38302899, type: 'Organization' },
    },
    sender: { login: 'Codertocat', id: 21031067, type: 'User' },
    installation: { id: 3456996, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMzQ1Njk5Ng==' },
  };
}

const delivery = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

function input(body: unknown, headers: Record<string, string | undefined> = {}): WebhookInput {
  return {
    headers: { 'x-github-event': 'workflow_job', 'x-github-delivery': delivery, ...headers },
    rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

function eventOf(parsed: ParsedWebhook) {
  if (parsed.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed.event;
}

describe('parseGithubWebhook', () => {
  it('turns a queued job into a queued event with the details provisioning needs', () => {
    expect(parseGithubWebhook(input(workflowJobPayload('queued')))).toEqual({
      kind: 'event',
      event: {
        source: 'github',
        jobKey: '289782451',
        action: 'queued',
        labels: ['self-hosted', 'linux'],
        origin: anyOrigin('Octocoders/Hello-World'),
        deliveryId: delivery,
        url: 'https://github.com/octo-org/octo-repo/runs/1291536064',
        details: {
          source: 'github',
          owner: 'Octocoders',
          repo: 'Hello-World',
          installationId: 3456996,
          runId: 2202229078,
        },
      },
    });
  });

  it("names the job's repository as its origin, matched as sources.github.repositories matches", () => {
    const origin = eventOf(parseGithubWebhook(input(workflowJobPayload('queued')))).origin;
    expect(origin?.name).toBe('Octocoders/Hello-World');
    expect(['octocoders/hello-world', 'Octocoders/*'].map((pattern) => origin?.matches(pattern))).toEqual([
      true,
      true,
    ]);
    expect(['octocoders/hello', 'other/*', 'octocoders'].map((pattern) => origin?.matches(pattern))).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('maps in_progress to started', () => {
    const payload = workflowJobPayload('in_progress', { runner_id: 1, runner_name: 'pitcrew-abc' });
    expect(eventOf(parseGithubWebhook(input(payload))).action).toBe('started');
  });

  it('maps a completed job that succeeded to completed', () => {
    const event = eventOf(
      parseGithubWebhook(input(workflowJobPayload('completed', { conclusion: 'success' }))),
    );
    expect(event.action).toBe('completed');
    expect(event.jobKey).toBe('289782451');
  });

  it('maps a completed job that failed to completed', () => {
    const payload = workflowJobPayload('completed', { conclusion: 'failure' });
    expect(eventOf(parseGithubWebhook(input(payload))).action).toBe('completed');
  });

  it('maps a completed job that was cancelled to cancelled', () => {
    const payload = workflowJobPayload('completed', { conclusion: 'cancelled' });
    expect(eventOf(parseGithubWebhook(input(payload))).action).toBe('cancelled');
  });

  it('leaves out the installation and run id when a repository webhook sends none', () => {
    const { installation: _installation, ...payload } = workflowJobPayload('queued', { run_id: undefined });
    const event = eventOf(parseGithubWebhook(input(payload)));
    expect(event.details).toEqual({ source: 'github', owner: 'Octocoders', repo: 'Hello-World' });
    expect(Object.keys(event.details)).not.toContain('installationId');
  });

  it('ignores a job waiting on an environment protection rule', () => {
    expect(parseGithubWebhook(input(workflowJobPayload('waiting')))).toEqual({
      kind: 'ignored',
      reason: 'workflow_job action waiting needs no agent',
    });
  });

  it('ignores an action it does not know', () => {
    expect(parseGithubWebhook(input({ action: 'teleported' }))).toMatchObject({ kind: 'ignored' });
  });

  it('ignores ping', () => {
    expect(
      parseGithubWebhook(
        input({ zen: 'Keep it logically awesome.', hook_id: 1 }, { 'x-github-event': 'ping' }),
      ),
    ).toEqual({
      kind: 'ignored',
      reason: 'ping',
    });
  });

  it('ignores another event, naming it', () => {
    const parsed = parseGithubWebhook(input({ action: 'opened' }, { 'x-github-event': 'pull_request' }));
    expect(parsed).toEqual({ kind: 'ignored', reason: 'event pull_request is not workflow_job' });
  });

  it('names the missing event header', () => {
    expect(parseGithubWebhook(input(workflowJobPayload('queued'), { 'x-github-event': undefined }))).toEqual({
      kind: 'invalid',
      field: 'header x-github-event',
      problem: expect.any(String),
    });
  });

  it('names the missing delivery header', () => {
    expect(
      parseGithubWebhook(input(workflowJobPayload('queued'), { 'x-github-delivery': undefined })),
    ).toMatchObject({
      kind: 'invalid',
      field: 'header x-github-delivery',
    });
  });

  it('answers invalid body for malformed JSON', () => {
    expect(parseGithubWebhook(input('{"action": "queued", '))).toMatchObject({
      kind: 'invalid',
      field: 'body',
    });
  });

  it('names a missing job id', () => {
    const payload = workflowJobPayload('queued', { id: undefined });
    expect(parseGithubWebhook(input(payload))).toEqual({
      kind: 'invalid',
      field: 'workflow_job.id',
      problem: expect.stringContaining('expected number'),
    });
  });

  it('names labels of the wrong type', () => {
    const payload = workflowJobPayload('queued', { labels: 'linux' });
    expect(parseGithubWebhook(input(payload))).toMatchObject({
      kind: 'invalid',
      field: 'workflow_job.labels',
    });
  });

  it('names a missing repository owner', () => {
    const payload = { ...workflowJobPayload('queued'), repository: { name: 'Hello-World' } };
    expect(parseGithubWebhook(input(payload))).toMatchObject({ kind: 'invalid', field: 'repository.owner' });
  });

  it('names a missing action', () => {
    const { action: _action, ...payload } = workflowJobPayload('queued');
    expect(parseGithubWebhook(input(payload))).toMatchObject({ kind: 'invalid', field: 'action' });
  });

  it('refuses a repository name that would change the API path', () => {
    const payload = {
      ...workflowJobPayload('queued'),
      repository: { name: '..', owner: { login: 'Octocoders' } },
    };
    expect(parseGithubWebhook(input(payload))).toMatchObject({ kind: 'invalid', field: 'repository.name' });
  });

  // The request record keeps the link: an over-long one is dropped, and the job taken (a link is for
  // display; refusing the delivery for one would lose the build).
  it.each([
    `https://github.com/${'a'.repeat(2000)}`,
    'javascript:alert(1)',
    'https://x:ghp_secret@github.com/acme/app',
  ])(
    'takes the job without an html_url that is over 2,000 characters, not http(s), or carries credentials (%#)',
    (html_url) => {
      const parsed = parseGithubWebhook(input(workflowJobPayload('queued', { html_url })));
      expect(parsed).toMatchObject({ kind: 'event', event: { action: 'queued' } });
      expect(parsed.kind === 'event' && parsed.event.url).toBeUndefined();
    },
  );

  it('never throws on a body that is JSON but not an object', () => {
    expect(parseGithubWebhook(input('null'))).toMatchObject({ kind: 'invalid' });
    expect(parseGithubWebhook(input('[1,2]'))).toMatchObject({ kind: 'invalid' });
  });
});
