import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A JSON answer for the HTTP API. Bodies never carry secrets or stack traces. */
export const jsonResponse = (
  statusCode: number,
  body: Record<string, unknown>,
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
