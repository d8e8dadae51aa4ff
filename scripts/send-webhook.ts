/**
 * Sends one signed generic webhook (docs/generic-webhook.md) to a Pitcrew stage: the smoke test of
 * docs/deploy.md, with no curl or openssl needed. The secret comes from SSM (as the stage reads it)
 * or from PITCREW_WEBHOOK_SECRET.
 *
 *   npm run webhook -- --url https://abc.execute-api.eu-west-1.amazonaws.com \
 *     --secret-ssm /pitcrew/prod/generic/webhook-secret --job smoke-1 --labels linux [--action completed]
 *
 * Prints the HTTP status and Pitcrew's answer; exits 0 for 2xx, 1 otherwise, 2 for bad usage.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { signedHeadersFor } from '../shared/sources/signing';
import { messageOf } from '../shared/message-of';

export interface GenericWebhook {
  /** The stage's HTTP API base URL (the `HttpApiUrl` stack output); `/webhooks/generic` is added. */
  readonly url: string;
  readonly secret: string;
  readonly action: 'queued' | 'started' | 'completed' | 'cancelled';
  readonly jobId: string;
  readonly labels: readonly string[];
  /** Default: a new UUID. Repeat one to test deduplication. */
  readonly deliveryId?: string;
}

export async function sendGenericWebhook(
  webhook: GenericWebhook,
): Promise<{ status: number; body: unknown; deliveryId: string }> {
  const deliveryId = webhook.deliveryId ?? randomUUID();
  const job =
    webhook.action === 'queued' ? { id: webhook.jobId, labels: webhook.labels } : { id: webhook.jobId };
  const body = JSON.stringify({ action: webhook.action, job });
  const response = await fetch(`${webhook.url.replace(/\/+$/, '')}/webhooks/generic`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-pitcrew-delivery': deliveryId,
      // X-Pitcrew-Timestamp and X-Pitcrew-Signature-256 over "<timestamp>.<body>".
      ...signedHeadersFor('generic', body, webhook.secret),
    },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (an API Gateway error page, say): show it as it came.
  }
  return { status: response.status, body: parsed, deliveryId };
}

async function secretFromSsm(name: string, region: string | undefined): Promise<string> {
  const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const ssm = new SSMClient(region ? { region } : {});
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  if (!Parameter?.Value) throw new Error(`SSM parameter ${name} has no value`);
  return Parameter.Value;
}

const actions = ['queued', 'started', 'completed', 'cancelled'] as const;

const usage = `usage: npm run webhook -- --url URL [--secret-ssm NAME] [--region R] [--action ${actions.join('|')}] [--job ID] [--labels a,b]
       (the secret: --secret-ssm, or PITCREW_WEBHOOK_SECRET)`;

function readArgs() {
  return parseArgs({
    options: {
      url: { type: 'string' },
      'secret-ssm': { type: 'string' },
      region: { type: 'string' },
      action: { type: 'string', default: 'queued' },
      job: { type: 'string', default: `smoke-${Date.now()}` },
      labels: { type: 'string', default: 'linux' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

async function main(): Promise<number> {
  let values: ReturnType<typeof readArgs>;
  try {
    values = readArgs();
  } catch (error) {
    console.error(`${messageOf(error)}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const action = actions.find((candidate) => candidate === values.action);
  if (!values.url || !action) {
    console.error(usage);
    return 2;
  }
  const secret = values['secret-ssm']
    ? await secretFromSsm(values['secret-ssm'], values.region)
    : process.env.PITCREW_WEBHOOK_SECRET;
  if (!secret) {
    console.error('no secret: pass --secret-ssm NAME or set PITCREW_WEBHOOK_SECRET');
    return 2;
  }
  const result = await sendGenericWebhook({
    url: values.url,
    secret,
    action,
    jobId: values.job,
    labels: values.labels.split(',').filter(Boolean),
  });
  console.log(JSON.stringify({ job: values.job, ...result }, null, 2));
  return result.status >= 200 && result.status < 300 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
