export { ConfigError } from './errors';
export type { SettingProblem } from './errors';
export { loadSettings, settingsSchemas } from './settings';
export type { FunctionName, Settings } from './settings';
