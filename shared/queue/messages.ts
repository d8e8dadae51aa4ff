import * as z from '../schema/zod';

/**
 * What the provision queue carries: only the request id. The record in the table is the truth, so a
 * stale or replayed message cannot carry stale decisions with it.
 */
export const provisionMessageSchema = z.strictObject({
  requestId: z.string().check(z.minLength(1), z.maxLength(200)),
});
export type ProvisionMessage = z.infer<typeof provisionMessageSchema>;

/** A message body as a `ProvisionMessage`, or undefined when it is not one (not JSON, or another shape). */
export function readProvisionMessage(body: string | undefined): ProvisionMessage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
  const parsed = provisionMessageSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
