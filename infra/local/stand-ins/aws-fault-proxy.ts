import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the proxy answers instead of the real server:
 * - `throttle`: 400 ProvisionedThroughputExceededException, as DynamoDB throttles a request;
 * - `internal`: 500 InternalServerError, DynamoDB's own failure;
 * - `reset`: the connection is dropped without an answer;
 * - `lost-answer`: the request reaches the real server (it takes effect), then the client gets a 500
 *   InternalServerError: a write that happened although the caller was told it failed;
 * - `redeliver-early` (SQS `ReceiveMessage` only, decided per message received): the answer passes,
 *   and a moment later the proxy makes that message visible again on the real queue, so another
 *   consumer receives it while the first still works on it (at-least-once delivery, early).
 * Shapes from the DynamoDB API reference (Programming.Errors, "Error components"; awsJson1_0 errors
 * carry their type in `__type` and the `x-amzn-ErrorType` header).
 */
export type AwsFault = 'throttle' | 'internal' | 'reset' | 'lost-answer' | 'redeliver-early';

export interface AwsFaultProxyOptions {
  /** Decides every probability: a seeded generator makes a run's sequence of decisions reproducible. */
  readonly random?: () => number;
  /** `redeliver-early`: how long after the answer the message becomes visible again, at most. */
  readonly redeliverWithinMs?: number;
}

export interface AwsFaultRule {
  /** The operation, from `X-Amz-Target` (`PutItem`, `TransactWriteItems`, `SendMessage` ...); any if unset. */
  readonly operation?: string | RegExp;
  /** Only requests whose JSON body matches (e.g. /"request#/ for request items). */
  readonly body?: RegExp;
  readonly fault: AwsFault;
  /** Fail this many matching requests, then stop (default: no limit). */
  readonly times?: number;
  /** Fail a matching request with this probability (default 1). */
  readonly probability?: number;
}

export interface AwsCall {
  readonly operation: string;
  readonly fault?: AwsFault;
  /** Items a batch or transaction carries (BatchGetItem keys, TransactWriteItems): what it is billed by. */
  readonly items?: number;
  /** The item's partition key (`pk`), for a single-item call: what IAM's `dynamodb:LeadingKeys` sees. */
  readonly partitionKey?: string;
  /** When the proxy had the request's body (ms since the epoch, fractional). */
  readonly at?: number;
  /** The proxy's round trip to the server for it: the server's time, the proxy being a local pass-through. */
  readonly upstreamMs?: number;
}

/** How many of `calls` each operation made: `{ PutItem: 2, TransactWriteItems: 1 }`. */
export const countByOperation = (calls: readonly Pick<AwsCall, 'operation'>[]): Record<string, number> =>
  calls.reduce<Record<string, number>>(
    (counts, call) => ({ ...counts, [call.operation]: (counts[call.operation] ?? 0) + 1 }),
    {},
  );

/** A call as the proxy records it: its round trip is set once the server has answered. */
type RecordedCall = { -readonly [key in keyof AwsCall]: AwsCall[key] };

const singleItem = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);

/** The partition key a single-item DynamoDB call names (its Key, or the Item it puts). */
function partitionKeyOf(operation: string, body: string): string | undefined {
  if (!singleItem.has(operation)) return undefined;
  try {
    const parsed = JSON.parse(body) as { Key?: { pk?: { S?: string } }; Item?: { pk?: { S?: string } } };
    return (parsed.Key ?? parsed.Item)?.pk?.S;
  } catch {
    return undefined;
  }
}

/** How many items a DynamoDB batch or transaction call carries; undefined for single-item calls. */
function countItems(operation: string, body: string): number | undefined {
  if (operation !== 'BatchGetItem' && operation !== 'TransactWriteItems') return undefined;
  try {
    const parsed = JSON.parse(body) as {
      RequestItems?: Record<string, { Keys?: unknown[] }>;
      TransactItems?: unknown[];
    };
    if (operation === 'TransactWriteItems') return parsed.TransactItems?.length;
    return Object.values(parsed.RequestItems ?? {}).reduce(
      (sum, table) => sum + (table.Keys?.length ?? 0),
      0,
    );
  } catch {
    return undefined;
  }
}

export interface AwsFaultProxy {
  /** http://127.0.0.1:PORT, to use as the SDK endpoint. */
  readonly endpoint: string;
  /** Every request that came through, in order, with the fault it got if any. */
  readonly calls: AwsCall[];
  addRule(rule: AwsFaultRule): void;
  clearRules(): void;
  /** How many requests got each fault (`redeliver-early`: how many messages). */
  faultCounts(): Record<AwsFault, number>;
  /** Messages made visible early that a consumer then received again. */
  redeliveredEarly(): number;
  close(): Promise<void>;
}

const dynamoErrors = {
  throttle: {
    status: 400,
    type: 'ProvisionedThroughputExceededException',
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  internal: { status: 500, type: 'InternalServerError', message: 'Internal server error' },
} as const;

function answerError(response: ServerResponse, kind: 'throttle' | 'internal'): void {
  const error = dynamoErrors[kind];
  response.writeHead(error.status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-errortype': error.type,
    'x-amzn-requestid': randomUUID(),
  });
  response.end(
    JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${error.type}`, message: error.message }),
  );
}

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

/**
 * An HTTP proxy in front of a real AWS-protocol server (DynamoDB Local, ElasticMQ) that answers
 * chosen requests with the errors the real service sends, so the code's handling of throttling,
 * server errors and lost answers runs against the real server's state.
 */
export async function startAwsFaultProxy(
  target: string,
  options: AwsFaultProxyOptions = {},
): Promise<AwsFaultProxy> {
  const upstream = new URL(target);
  const random = options.random ?? Math.random;
  const rules: { rule: AwsFaultRule; remaining: number }[] = [];
  const calls: AwsCall[] = [];
  const early = { messages: 0, received: 0, ids: new Set<string>() };
  // Only built when a rule asks for early redelivery: the queue's own API, straight to the server.
  let sqs: SQSClient | undefined;
  const timers = new Set<NodeJS.Timeout>();

  function pickFault(operation: string, body: string): AwsFault | undefined {
    for (const entry of rules) {
      const { rule } = entry;
      if (entry.remaining <= 0 || rule.fault === 'redeliver-early') continue;
      if (rule.operation !== undefined) {
        const matches =
          typeof rule.operation === 'string' ? rule.operation === operation : rule.operation.test(operation);
        if (!matches) continue;
      }
      if (rule.body && !rule.body.test(body)) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      entry.remaining -= 1;
      return rule.fault;
    }
    return undefined;
  }

  /**
   * A ReceiveMessage answer: counts messages received again after an early redelivery, and picks
   * messages to make visible again a moment from now (ChangeMessageVisibility to 0 on the server).
   */
  function redeliverSome(request: string, answer: Buffer): void {
    let queueUrl: string | undefined;
    let messages: { MessageId?: string; ReceiptHandle?: string }[] = [];
    try {
      queueUrl = (JSON.parse(request) as { QueueUrl?: string }).QueueUrl;
      messages = (JSON.parse(answer.toString('utf8')) as { Messages?: typeof messages }).Messages ?? [];
    } catch {
      return;
    }
    for (const message of messages) {
      if (message.MessageId && early.ids.delete(message.MessageId)) early.received += 1;
      const entry = rules.find(
        ({ rule, remaining }) =>
          rule.fault === 'redeliver-early' &&
          remaining > 0 &&
          (rule.probability === undefined || random() < rule.probability),
      );
      if (!entry || !queueUrl || !message.ReceiptHandle || !message.MessageId) continue;
      entry.remaining -= 1;
      early.messages += 1;
      early.ids.add(message.MessageId);
      sqs ??= new SQSClient({ region: 'us-east-1', endpoint: target });
      const client = sqs;
      const input = { QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 };
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          void client.send(new ChangeMessageVisibilityCommand(input)).catch(() => undefined);
        },
        Math.floor(random() * (options.redeliverWithinMs ?? 300)),
      );
      timers.add(timer);
    }
  }

  function forward(
    request: IncomingMessage,
    body: Buffer,
    onAnswer: (status: number, headers: IncomingMessage['headers'], answer: Buffer) => void,
    onError: () => void,
  ): void {
    const outgoing = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
      },
      (answer) => {
        readBody(answer).then(
          (data) => onAnswer(answer.statusCode ?? 502, answer.headers, data),
          () => onError(),
        );
      },
    );
    outgoing.on('error', onError);
    outgoing.end(body);
  }

  const server = createServer((request, response) => {
    readBody(request).then(
      (body) => {
        const target = String(request.headers['x-amz-target'] ?? '');
        const operation = target.slice(target.lastIndexOf('.') + 1);
        const text = body.toString('utf8');
        const fault = pickFault(operation, text);
        const items = countItems(operation, text);
        const partitionKey = partitionKeyOf(operation, text);
        const at = performance.timeOrigin + performance.now();
        const call: RecordedCall = {
          operation,
          at,
          ...(fault ? { fault } : {}),
          ...(items === undefined ? {} : { items }),
          ...(partitionKey === undefined ? {} : { partitionKey }),
        };
        calls.push(call);
        const sent = performance.now();
        if (fault === 'throttle' || fault === 'internal') return answerError(response, fault);
        if (fault === 'reset') return void request.socket.destroy();
        forward(
          request,
          body,
          (status, headers, answer) => {
            call.upstreamMs = performance.now() - sent;
            if (fault === 'lost-answer') return answerError(response, 'internal');
            if (operation === 'ReceiveMessage' && status === 200) redeliverSome(text, answer);
            response.writeHead(status, headers);
            response.end(answer);
          },
          () => request.socket.destroy(),
        );
      },
      () => request.socket.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    addRule(rule) {
      rules.push({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
    },
    clearRules() {
      rules.length = 0;
    },
    faultCounts() {
      const counts: Record<AwsFault, number> = {
        throttle: 0,
        internal: 0,
        reset: 0,
        'lost-answer': 0,
        'redeliver-early': early.messages,
      };
      for (const call of calls) if (call.fault && call.fault !== 'redeliver-early') counts[call.fault] += 1;
      return counts;
    },
    redeliveredEarly: () => early.received,
    close: () =>
      new Promise((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        sqs?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
