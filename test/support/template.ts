import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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
 * Bundles the functions and runs the real `serverless package` (osls) into a temp folder with no
 * AWS credentials in the environment, then returns the CloudFormation template it wrote.
 */
export function packageTemplate(stage = 'test'): CfnTemplate {
  const out = mkdtempSync(join(tmpdir(), 'pitcrew-package-'));
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: 'pitcrew-none',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  execFileSync('npx', ['tsx', 'scripts/build.ts'], { env, stdio: 'pipe' });
  execFileSync('npx', ['serverless', 'package', '--stage', stage, '--package', out], { env, stdio: 'pipe' });
  return JSON.parse(
    readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as CfnTemplate;
}

export const resourcesOfType = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
