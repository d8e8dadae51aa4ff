export { accessPolicies, eksAccessTarget } from './aws-access';
export type { PolicyDocument, PolicyStatement } from './aws-access';
export { createAwsSecretReader } from './aws-secrets';
export { compileConfig } from './compile';
export { ConfigError, SecretReadError } from './errors';
export type { SecretReadReason, SettingProblem } from './errors';
export { loadConfigFile, parseConfig } from './file';
export { insecureSettings, isLocalStage, localStages } from './insecure-settings';
export { configFileSchema, secretRefSchema, stagePlaceholder, templateSchema } from './file-schema';
export type {
  AgentTemplate,
  ClusterConfig,
  ClusterCredentials,
  PitcrewConfig,
  SecretRef,
  SourcesConfig,
} from './file-schema';
export { clusterSecretEntries, sourceSecretEntries } from './secret-entries';
export { awsSecretName, createSecretResolver, resolveSecrets } from './secrets';
export type { SecretEntry, SecretReader, SecretReadOptions, SecretResolver } from './secrets';
export { loadSettings, settingsSchemas } from './settings';
export type { FunctionName, Settings } from './settings';
