import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadSettings } from '../../shared/config';
import { createLogger, jsonResponse } from '../../shared/lambda';
import { ciSources, isCiSource } from '../../shared/sources';

// Cold start: a missing or bad setting stops the function here with a ConfigError naming it.
loadSettings('webhook', process.env);
const logger = createLogger('webhook');

/** Placeholder until the provisioning issue: checks the route, then says plainly that nothing was done. */
async function receiveWebhook(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const source = event.pathParameters?.source;
  if (!isCiSource(source)) {
    return jsonResponse(404, {
      error: `unknown source '${String(source)}'; use one of: ${ciSources.join(', ')}`,
    });
  }
  logger.warn('webhook received but provisioning is not implemented', { source });
  return jsonResponse(501, { error: 'webhook handling is not implemented yet; nothing was queued' });
}

export const handler = middy(receiveWebhook).use(injectLambdaContext(logger));
