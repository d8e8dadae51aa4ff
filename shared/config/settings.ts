import * as v from '../schema/valibot';
import { ConfigError, type SettingProblem } from './errors';

/**
 * The environment each function reads at cold start. `serverless.yml` sets these per stage; the
 * local harness sets them for `pitcrew dev` and the tests. Nothing below a handler reads
 * `process.env`: handlers call `loadSettings` once and pass the result in.
 */
const url = v.url({ message: 'must be a URL' });
const name = v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'));

const common = {
  PITCREW_STAGE: name,
  AWS_REGION: name,
  PITCREW_TABLE_NAME: name,
  /** The YAML config file (templates, cluster, CI connections); bundled beside the handler on AWS. */
  PITCREW_CONFIG_FILE: name,
  /** Local only: DynamoDB Local. Unset in AWS, where the SDK finds the regional endpoint. */
  PITCREW_DYNAMODB_ENDPOINT: v.optional(url),
  /** Local only: ElasticMQ. */
  PITCREW_SQS_ENDPOINT: v.optional(url),
};

export const settingsSchemas = {
  webhook: v.object({ ...common, PITCREW_QUEUE_URL: url }),
  provision: v.object({ ...common, PITCREW_QUEUE_URL: url }),
  reap: v.object({ ...common, PITCREW_QUEUE_URL: url }),
  ops: v.object({ ...common, PITCREW_QUEUE_URL: url, PITCREW_DLQ_URL: url }),
} as const;

export type FunctionName = keyof typeof settingsSchemas;
export type RawSettings<F extends FunctionName> = v.InferOutput<(typeof settingsSchemas)[F]>;

export interface Settings {
  readonly stage: string;
  readonly region: string;
  readonly tableName: string;
  readonly configFile: string;
  readonly queueUrl: string;
  readonly dlqUrl?: string;
  readonly dynamoDbEndpoint?: string;
  readonly sqsEndpoint?: string;
  /**
   * Running in AWS Lambda: AWS_LAMBDA_FUNCTION_NAME set, which Lambda sets, without IS_LOCAL, which
   * `serverless invoke local` adds. A deployed function whatever its stage is called (load.ts).
   */
  readonly inLambda: boolean;
}

/**
 * Parses the settings `fn` needs out of `env`. Throws one `ConfigError` naming every missing or
 * invalid setting, so a misconfigured deploy fails at cold start with a message that says what to fix.
 */
export function loadSettings(fn: FunctionName, env: Readonly<Record<string, string | undefined>>): Settings {
  const parsed = v.safeParse(settingsSchemas[fn], env);
  if (!parsed.success) {
    const problems: SettingProblem[] = parsed.issues.map((issue) => {
      const setting = v.issuePath(issue) || '(environment)';
      return { setting, problem: env[setting] === undefined ? 'is required but not set' : issue.message };
    });
    throw new ConfigError(problems);
  }
  const raw = parsed.output as RawSettings<'ops'> & RawSettings<'webhook'>;
  return {
    stage: raw.PITCREW_STAGE,
    region: raw.AWS_REGION,
    tableName: raw.PITCREW_TABLE_NAME,
    configFile: raw.PITCREW_CONFIG_FILE,
    queueUrl: raw.PITCREW_QUEUE_URL,
    dlqUrl: raw.PITCREW_DLQ_URL,
    dynamoDbEndpoint: raw.PITCREW_DYNAMODB_ENDPOINT,
    sqsEndpoint: raw.PITCREW_SQS_ENDPOINT,
    inLambda: env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.IS_LOCAL === undefined,
  };
}

/**
 * Stages that never run in AWS: `pitcrew dev` runs its functions as stage `local` (and
 * `serverless invoke local` gives a bundle that same environment). Every other stage, `dev`
 * included (it is `serverless deploy`'s default), is checked as a deployed one.
 */
export const localStages = ['local'] as const;

export const isLocalStage = (stage: string | undefined): boolean =>
  stage !== undefined && (localStages as readonly string[]).includes(stage);
