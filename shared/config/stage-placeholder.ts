/**
 * `{stage}` in an SSM or Secrets Manager name stands for the deployed stage (docs/configuration.md).
 * A module of its own: the secrets reader needs it at cold start, and importing it from the config
 * schema parts would load those schemas with it.
 */
export const stagePlaceholder = '{stage}';
