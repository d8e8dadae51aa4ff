import * as v from '../schema/valibot';

/**
 * What the provision queue carries: only the request id. The record in the table is the truth, so a
 * stale or replayed message cannot carry stale decisions with it.
 */
export const provisionMessageSchema = v.strictObject({
  requestId: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
});
export type ProvisionMessage = v.InferOutput<typeof provisionMessageSchema>;

/** A message body as a `ProvisionMessage`, or undefined when it is not one (not JSON, or another shape). */
export function readProvisionMessage(body: string | undefined): ProvisionMessage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(provisionMessageSchema, json);
  return parsed.success ? parsed.output : undefined;
}
