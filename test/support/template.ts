import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

/**
 * The partition keys of the only items the webhook's role may read or write (serverless.yml's
 * `dynamodb:LeadingKeys` condition, each with `*` after it): iam.test.ts checks the template says so,
 * and webhook-trust.test.ts that the webhook touches no other item on the real server.
 */
export const webhookItemPrefixes = ['request#', 'delivery#'] as const;

/**
 * Bundles the functions and runs the real `serverless package` (osls) into a temp folder with no
 * AWS credentials in the environment, then returns the CloudFormation template it wrote. `args` go
 * to serverless (`--param=tracing=Active`). Test files run in parallel workers and all build into
 * dist/, so builds take turns under a lock directory.
 */
export function packageTemplate(
  stage = 'test',
  args: readonly string[] = [],
  options: { build?: boolean } = {},
): CfnTemplate {
  const out = mkdtempSync(join(tmpdir(), 'pitcrew-package-'));
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: 'pitcrew-none',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  withBuildLock(() => {
    // `build: false` packages what dist/ holds (every build here bundles the same config).
    if (options.build !== false) execFileSync('npx', ['tsx', 'scripts/build.ts'], { env, stdio: 'pipe' });
    execFileSync('npx', ['serverless', 'package', '--stage', stage, '--package', out, ...args], {
      env,
      stdio: 'pipe',
    });
  });
  return JSON.parse(
    readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as CfnTemplate;
}

const buildLock = 'dist/.build-lock';

/** Runs `work` while holding dist/.build-lock (mkdir is atomic); a lock older than 10 minutes is stale. */
export function withBuildLock<T>(work: () => T): T {
  mkdirSync('dist', { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(buildLock);
      break;
    } catch {
      const age = Date.now() - (statSync(buildLock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10 * 60_000) rmSync(buildLock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${buildLock} was held for 10 minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return work();
  } finally {
    rmSync(buildLock, { recursive: true, force: true });
  }
}

export const resourcesOfType = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
