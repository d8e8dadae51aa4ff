import type * as z from '../schema/zod';
import { CiRejectedError } from './errors';
import type { AgentRequest } from './types';

/**
 * A request's details as its CI's adapter reads them: parsed with the module's `detailsSchema`, so
 * the shared `SourceDetails` type names no CI. Details of another shape are a bug upstream (a record
 * handed to the wrong adapter), refused rather than guessed at.
 */
export function parseDetails<Schema extends z.ZodMiniType>(
  schema: Schema,
  request: Pick<AgentRequest, 'requestId' | 'details'>,
): z.output<Schema> {
  const parsed = schema.safeParse(request.details);
  if (!parsed.success)
    throw new CiRejectedError(
      `request ${request.requestId} has ${request.details.source} details this CI cannot read: ${parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'details'}: ${issue.message}`)
        .join('; ')}`,
    );
  return parsed.data;
}
