import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the proxy answers instead of the real server:
 * - `throttle`: 400 ProvisionedThroughputExceededException, as DynamoDB throttles a request;
 * - `internal`: 500 InternalServerError, DynamoDB's own failure;
 * - `reset`: the connection is dropped without an answer;
 * - `lost-answer`: the request reaches the real server (it takes effect), then the client gets a 500
 *   InternalServerError: a write that happened although the caller was told it failed.
 * Shapes from the DynamoDB API reference (Programming.Errors, "Error components"; awsJson1_0 errors
 * carry their type in `__type` and the `x-amzn-ErrorType` header).
 */
export type AwsFault = 'throttle' | 'internal' | 'reset' | 'lost-answer';

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
  /** How many requests got each fault. */
  faultCounts(): Record<AwsFault, number>;
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
export async function startAwsFaultProxy(target: string): Promise<AwsFaultProxy> {
  const upstream = new URL(target);
  const rules: { rule: AwsFaultRule; remaining: number }[] = [];
  const calls: AwsCall[] = [];

  function pickFault(operation: string, body: string): AwsFault | undefined {
    for (const entry of rules) {
      const { rule } = entry;
      if (entry.remaining <= 0) continue;
      if (rule.operation !== undefined) {
        const matches =
          typeof rule.operation === 'string' ? rule.operation === operation : rule.operation.test(operation);
        if (!matches) continue;
      }
      if (rule.body && !rule.body.test(body)) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      entry.remaining -= 1;
      return rule.fault;
    }
    return undefined;
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
        calls.push({ operation, ...(fault ? { fault } : {}), ...(items === undefined ? {} : { items }) });
        if (fault === 'throttle' || fault === 'internal') return answerError(response, fault);
        if (fault === 'reset') return void request.socket.destroy();
        forward(
          request,
          body,
          (status, headers, answer) => {
            if (fault === 'lost-answer') return answerError(response, 'internal');
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
      const counts: Record<AwsFault, number> = { throttle: 0, internal: 0, reset: 0, 'lost-answer': 0 };
      for (const call of calls) if (call.fault) counts[call.fault] += 1;
      return counts;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
