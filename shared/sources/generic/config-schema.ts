import * as z from '../../schema/zod';
import {
  maxBacklog,
  secretRefSchema,
  signatureToleranceSeconds,
  webhookSecretsSchema,
} from '../config-parts';

export const genericConfigSchema = z.strictObject({
  webhookSecret: webhookSecretsSchema,
  signatureToleranceSeconds,
  maxBacklog,
  agentToken: z.optional(secretRefSchema),
});
export type GenericSettings = z.output<typeof genericConfigSchema>;
