import { readFileSync } from 'node:fs';
import { checkTemplates } from '../templates/template-checks';
import { ConfigError } from './errors';
import { issueTexts } from './issue-text';
import { parseWrittenText, yamlTextProblem } from './written-text';
import { configFileSchema, type PitcrewConfig } from './file-schema';
import { unwrapCompiledConfig } from './load';

/**
 * Parses config YAML text; `origin` names the file in messages. Every problem is reported at once.
 * A config that parses has its templates checked too (template-checks.ts): each template's pod must
 * meet its `podSecurity` level, so a pod the namespace would refuse stops the function at cold start.
 */
export function parseConfig(text: string, origin = 'config'): PitcrewConfig {
  let raw: unknown;
  try {
    raw = parseWrittenText(text);
  } catch (error) {
    throw new ConfigError([{ setting: origin, problem: yamlTextProblem(error) }]);
  }
  // A compiled file (`npm run package`'s) is read as the config it holds, and checked in full here.
  const parsed = configFileSchema.safeParse(unwrapCompiledConfig(raw, origin));
  if (!parsed.success) {
    throw new ConfigError(
      issueTexts(parsed.error.issues).map(({ path, message }) => ({
        setting: `${origin}: ${path.length > 0 ? path.map(String).join('.') : '(top level)'}`,
        problem: message,
      })),
    );
  }
  const problems = checkTemplates(parsed.data);
  if (problems.length > 0)
    throw new ConfigError(problems.map(({ key, problem }) => ({ setting: `${origin}: ${key}`, problem })));
  return parsed.data;
}

export function loadConfigFile(path: string): PitcrewConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError([{ setting: 'PITCREW_CONFIG_FILE', problem: `cannot read '${path}'` }]);
  }
  return parseConfig(text, path);
}
