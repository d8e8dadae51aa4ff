/** One problem with one setting: which setting, and what is wrong with it. */
export interface SettingProblem {
  readonly setting: string;
  readonly problem: string;
}

/**
 * Start-up configuration is wrong. Collects every problem at once so an operator fixes them in one
 * go, and names each setting, never its value (a value may be a secret).
 */
export class ConfigError extends Error {
  readonly problems: readonly SettingProblem[];

  constructor(problems: readonly SettingProblem[]) {
    super(
      `Pitcrew cannot start: ${problems.length} setting${problems.length === 1 ? ' is' : 's are'} wrong:\n` +
        problems.map((p) => `  - ${p.setting}: ${p.problem}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
