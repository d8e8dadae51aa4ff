import { toHttpResponse } from '../../../../functions/webhook/http-response';
import { gitlabModule } from '../../../../shared/sources/gitlab';
import { maxTokenWebhookBytes, maxWebhookBytes, receiveWebhook } from '../../../../shared/webhook';
import { createTwins } from '../../flows/twins';

/**
 * GitLab's Job Hook carries the pipeline's whole commit message (`commit.message`), which anyone who
 * may push to a listed project writes, and GitLab switches off a webhook after a few failures in a row
 * (docs/gitlab.md, Limits). A first version refused a body over 512 KiB before its token, a 413 to
 * GitLab's own deliveries: one long commit message could switch the webhook off for every project
 * behind it (a review of the hostile sender, 2026-12-06). The token, in a header, is now checked first,
 * and a body it proves may be as large as Lambda takes.
 */
const yaml = `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
capacity: { globalCap: 5 }
sources:
  gitlab:
    webhookSecret: { value: gitlab-webhook-secret-0123 }
    apiToken: { value: glpat-PitcrewContractToken0123 }
    projects: ['acme/*']
    tags: [linux]
templates:
  - { name: gl, source: gitlab, labels: [linux] }
`;

describe('a GitLab Job Hook with a long commit message', () => {
  const twins = createTwins(yaml);
  let uuid = 0;
  const receive = async (messageBytes: number, token = 'gitlab-webhook-secret-0123') => {
    const body = JSON.stringify({
      object_kind: 'build',
      build_id: 1977 + uuid,
      build_name: 'test',
      build_status: 'pending',
      build_created_at: new Date(twins.clock.ms() - 60_000).toISOString(),
      project_id: 380,
      commit: { id: 2366, message: 'x'.repeat(messageBytes) },
      project: {
        id: 380,
        web_url: 'https://gitlab.example.com/acme/app',
        visibility_level: 0,
        path_with_namespace: 'acme/app',
      },
    });
    uuid += 1;
    const outcome = await receiveWebhook(
      {
        source: 'gitlab',
        rawBody: Buffer.from(body),
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'Job Hook',
          'x-gitlab-event-uuid': `13792a34-cac6-4fda-95a8-${String(uuid).padStart(12, '0')}`,
          'x-gitlab-token': token,
        },
      },
      twins.webhook,
    );
    return { outcome, answer: toHttpResponse(outcome, gitlabModule) };
  };

  it('is taken when GitLab sends it (its token right), however far over 512 KiB', async () => {
    const { outcome, answer } = await receive(maxWebhookBytes + 100_000);
    expect(outcome.kind).toBe('accepted');
    expect(answer.statusCode).toBe(202);
  });

  it('is refused 401, not 413, with a wrong token: the size tells a sender without it nothing', async () => {
    const { answer } = await receive(maxWebhookBytes + 100_000, 'not-the-token');
    expect(answer.statusCode).toBe(401);
  });

  it('is answered 200 dropped past even Lambda’s limit, so the webhook stays on', async () => {
    const { outcome, answer } = await receive(maxTokenWebhookBytes + 1);
    expect(outcome).toEqual({ kind: 'too-large', limitBytes: maxTokenWebhookBytes });
    expect(answer).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(String(answer.body))).toMatchObject({ status: 'dropped', failure: 'too-large' });
  });
});
