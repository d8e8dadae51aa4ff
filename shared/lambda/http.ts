import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A JSON answer for the HTTP API. Bodies never carry secrets or stack traces. */
export const jsonResponse = (
  statusCode: number,
  body: Record<string, unknown>,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
