import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { jsonResponse } from '../../shared/lambda';
import type { WebhookOutcome } from '../../shared/webhook';

/**
 * The answers that tell a CI to retry later, or that its delivery was bad (a body too large too: a
 * token-proved one, as GitLab's always are, is checked for its size only once its token was).
 */
const droppable: ReadonlySet<WebhookOutcome['kind']> = new Set([
  'backlog-full',
  'invalid',
  'unavailable',
  'too-large',
]);

/** The sender's deliveries are answered `dropped` rather than failed, for this outcome. */
export const isDropped = (
  outcome: WebhookOutcome,
  sender: { readonly disablesFailingWebhooks?: boolean },
): boolean => sender.disablesFailingWebhooks === true && droppable.has(outcome.kind);

const problemOf = (outcome: WebhookOutcome): string =>
  outcome.kind === 'invalid'
    ? `${outcome.field} ${outcome.problem}`
    : 'problem' in outcome
      ? outcome.problem
      : outcome.kind;

/**
 * The HTTP answer for each outcome: 202 accepted or recorded, 200 ignored or refused (with the reason:
 * another runner fleet may take the build), 400 naming the field, 401, 404, 413, 415, 429 with
 * Retry-After past a source's backlog cap, and 503 only for faults the CI should retry.
 */
export function toHttpResponse(
  outcome: WebhookOutcome,
  sender: { readonly disablesFailingWebhooks?: boolean } = {},
): APIGatewayProxyStructuredResultV2 {
  // A CI that switches a failing webhook off (the source's module says so) is told the delivery was
  // dropped, not that it failed: it would not retry it anyway, and the reaper's poll finds the build.
  if (isDropped(outcome, sender))
    return jsonResponse(200, { status: 'dropped', reason: problemOf(outcome), failure: outcome.kind });
  switch (outcome.kind) {
    case 'accepted':
      return jsonResponse(202, { status: 'accepted', requestId: outcome.requestId });
    case 'recorded':
      return jsonResponse(202, { status: outcome.status, requestId: outcome.requestId });
    case 'ignored':
      return jsonResponse(200, {
        status: 'ignored',
        reason: outcome.reason,
        ...(outcome.requestId ? { requestId: outcome.requestId } : {}),
      });
    case 'refused':
      // 200, as for any build Pitcrew does not serve: a CI retries a 4xx, and this answer will not change.
      return jsonResponse(200, { status: 'ignored', reason: outcome.problem, refusal: outcome.reason });
    case 'backlog-full':
      return jsonResponse(
        429,
        { error: outcome.problem },
        { 'retry-after': String(outcome.retryAfterSeconds) },
      );
    case 'invalid':
      return jsonResponse(400, { error: `${outcome.field} ${outcome.problem}`, field: outcome.field });
    case 'unauthorized':
      return jsonResponse(401, { error: outcome.problem });
    case 'unknown-source':
      return jsonResponse(404, { error: outcome.problem });
    case 'too-large':
      return jsonResponse(413, { error: `the body is larger than ${outcome.limitBytes} bytes` });
    case 'unsupported-media-type':
      return jsonResponse(415, {
        error: `content-type must be application/json, got '${outcome.contentType}'`,
      });
    case 'unavailable':
      return jsonResponse(503, { error: outcome.problem });
  }
}
