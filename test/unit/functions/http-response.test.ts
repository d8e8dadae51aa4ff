import { toHttpResponse } from '../../../functions/webhook/http-response';
import type { WebhookOutcome } from '../../../shared/webhook';

const outcomes: Record<'backlog' | 'invalid' | 'unavailable' | 'unauthorized', WebhookOutcome> = {
  backlog: { kind: 'backlog-full', retryAfterSeconds: 60, problem: 'gitlab has 500 or more builds waiting' },
  invalid: { kind: 'invalid', field: 'build_id', problem: 'must be a positive integer' },
  unavailable: { kind: 'unavailable', problem: 'DynamoDB is unreachable' },
  unauthorized: { kind: 'unauthorized', problem: 'signature header x-gitlab-token is mismatch' },
};

describe('the webhook HTTP answer', () => {
  it('tells a CI that retries to retry later: 429 with Retry-After, 400 naming the field, 503', () => {
    expect(toHttpResponse(outcomes.backlog)).toMatchObject({
      statusCode: 429,
      headers: { 'retry-after': '60' },
    });
    expect(toHttpResponse(outcomes.invalid)).toMatchObject({ statusCode: 400 });
    expect(toHttpResponse(outcomes.unavailable)).toMatchObject({ statusCode: 503 });
  });

  it('answers a CI that switches failing webhooks off 200 dropped instead, saying what it was', () => {
    const gitlab = { disablesFailingWebhooks: true };
    for (const [outcome, failure] of [
      [outcomes.backlog, 'backlog-full'],
      [outcomes.invalid, 'invalid'],
      [outcomes.unavailable, 'unavailable'],
    ] as const) {
      const answer = toHttpResponse(outcome, gitlab);
      expect(answer.statusCode).toBe(200);
      expect(JSON.parse(answer.body ?? '{}')).toMatchObject({ status: 'dropped', failure });
    }
    expect(JSON.parse(toHttpResponse(outcomes.invalid, gitlab).body ?? '{}').reason).toBe(
      'build_id must be a positive integer',
    );
    // A wrong secret is the operator's to see, whatever the CI does with it.
    expect(toHttpResponse(outcomes.unauthorized, gitlab)).toMatchObject({ statusCode: 401 });
  });
});
