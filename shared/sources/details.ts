import * as v from '../schema/valibot';
import { CiRejectedError } from './errors';
import type { AgentRequest } from './types';

/**
 * A request's details as its CI's adapter reads them: parsed with the module's `detailsSchema`, so
 * the shared `SourceDetails` type names no CI. Details of another shape are a bug upstream (a record
 * handed to the wrong adapter), refused rather than guessed at.
 */
export function parseDetails<Schema extends v.GenericSchema>(
  schema: Schema,
  request: Pick<AgentRequest, 'requestId' | 'details'>,
): v.InferOutput<Schema> {
  const parsed = v.safeParse(schema, request.details);
  if (!parsed.success)
    throw new CiRejectedError(
      `request ${request.requestId} has ${request.details.source} details this CI cannot read: ${parsed.issues
        .map((issue) => `${v.issuePath(issue) || 'details'}: ${issue.message}`)
        .join('; ')}`,
    );
  return parsed.output;
}
