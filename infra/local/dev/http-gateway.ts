import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { lambdaContext } from './lambda-context';

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const routePattern = /^\/webhooks\/([^/?]+)$/;
/** API Gateway HTTP APIs refuse payloads over 10 MB; we stop reading there too. */
const maxBodyBytes = 10 * 1024 * 1024;

/**
 * Plays API Gateway (HTTP API, payload format 2.0) for `POST /webhooks/{source}` in front of the
 * webhook handler, in-process: the raw body is passed through untouched, as API Gateway does,
 * so signature checks see the exact bytes. Docs:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function startHttpGateway(handler: HttpHandler, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const match = routePattern.exec(path);
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      res
        .writeHead(413, { 'content-type': 'application/json' })
        .end('{"message":"Request Entity Too Large"}');
      return;
    }
    try {
      const result = await handler(
        toEvent(req, path, decodeURIComponent(match[1] ?? ''), body),
        lambdaContext('webhook'),
      );
      res
        .writeHead(result.statusCode ?? 200, result.headers as Record<string, string>)
        .end(result.body ?? '');
    } catch {
      // API Gateway answers an unhandled function error with a bare 500.
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
    }
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      resolve({ server, url: `http://127.0.0.1:${actualPort}` });
    });
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(req: IncomingMessage, path: string, source: string, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = new Date();
  const contentType = headers['content-type'] ?? '';
  // API Gateway base64-encodes bodies it does not consider text.
  const isText =
    contentType === '' || /^(text\/|application\/(json|x-www-form-urlencoded|.*\+json))/.test(contentType);
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{source}',
    rawPath: path,
    rawQueryString: (req.url ?? '').split('?')[1] ?? '',
    headers,
    pathParameters: { source },
    body: isText ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !isText,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: 'POST',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: 'POST /webhooks/{source}',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}
