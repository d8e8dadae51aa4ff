export { ConfigError } from './errors';
export type { SettingProblem } from './errors';
export { loadConfigFile, parseConfig } from './file';
export { configFileSchema, secretRefSchema, templateSchema } from './file-schema';
export type { AgentTemplate, ClusterConfig, PitcrewConfig, SecretRef, SourcesConfig } from './file-schema';
export { resolveSecret } from './secrets';
export { loadSettings, settingsSchemas } from './settings';
export type { FunctionName, Settings } from './settings';
