import * as z from '../../schema/zod';
import {
  maxBacklog,
  secretRefSchema,
  signatureToleranceSeconds,
  webhookSecretsSchema,
  type TemplateOrigins,
} from '../config-parts';

export const genericConfigSchema = z.strictObject({
  webhookSecret: webhookSecretsSchema,
  signatureToleranceSeconds,
  maxBacklog,
  agentToken: z.optional(secretRefSchema),
});
export type GenericSettings = z.output<typeof genericConfigSchema>;

/** A template's `from` cannot hold for the generic CI: its deliveries name no repository or project. */
export const genericTemplateOrigins: TemplateOrigins<GenericSettings> = {
  kind: 'unenforceable',
  why: 'cannot be kept for generic: a generic delivery names no repository or project to keep it to',
};
