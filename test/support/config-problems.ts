import { ConfigError, parseConfig } from '../../shared/config';

/** What the config loader refuses in `text` (as `pitcrew.yaml`), one `<setting>: <problem>` each; [] if nothing. */
export function configProblemsOf(text: string): string[] {
  try {
    parseConfig(text, 'pitcrew.yaml');
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map((problem) => `${problem.setting}: ${problem.problem}`);
    throw error;
  }
  return [];
}
