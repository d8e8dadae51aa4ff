/** One problem with one setting: which setting, and what is wrong with it. */
export interface SettingProblem {
  readonly setting: string;
  readonly problem: string;
}

/** Problems as a list, one `  - setting: problem` line each. */
export const problemLines = (problems: readonly SettingProblem[]): string =>
  problems.map((p) => `  - ${p.setting}: ${p.problem}`).join('\n');

/**
 * Start-up configuration is wrong. Collects every problem at once so an operator fixes them in one
 * go, and names each setting, never its value (a value may be a secret).
 */
export class ConfigError extends Error {
  readonly problems: readonly SettingProblem[];

  constructor(problems: readonly SettingProblem[]) {
    super(
      `Pitcrew cannot start: ${problems.length} setting${problems.length === 1 ? ' is' : 's are'} wrong:\n` +
        problemLines(problems),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Why AWS would not give a secret: `unavailable` may heal on retry; the others need a fix. */
export const secretReadReasons = ['not-found', 'denied', 'rejected', 'unavailable'] as const;
export type SecretReadReason = (typeof secretReadReasons)[number];

/**
 * Reading an SSM parameter or Secrets Manager secret failed. Thrown by the AWS reader; the resolver
 * turns the permanent kinds into a ConfigError naming the config key.
 */
export class SecretReadError extends Error {
  constructor(
    message: string,
    readonly reason: SecretReadReason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SecretReadError';
  }

  /** The end of a sentence that starts with what was read: "SSM parameter '/x' does not exist". */
  explain(): string {
    switch (this.reason) {
      case 'not-found':
        return 'does not exist (create it, or fix the name in the config)';
      case 'denied':
        return "may not be read by this function's role (build with this config and deploy again: the build grants exactly the secrets the config names)";
      case 'rejected':
        return `cannot be read: ${this.message}`;
      case 'unavailable':
        return `could not be read right now: ${this.message}`;
    }
  }
}
