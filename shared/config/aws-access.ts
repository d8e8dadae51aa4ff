import type { PitcrewConfig } from './file-schema';
import { stagePlaceholder } from './stage-placeholder';
import { clusterSecretEntries } from './cluster-secret-entries';
import { sourceSecretEntries } from './secret-entries';
import type { SecretEntry } from './secrets';
import type { FunctionName } from './settings';

/** CloudFormation's form of an IAM policy; resources may be `Fn::Sub` objects. */
export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly unknown[];
}
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/**
 * serverless.yml writes `${sls:stage}` where a name says `{stage}`, so one config serves every stage
 * and each stage's roles name that stage's parameters.
 */
const deployedStage = '${sls:stage}';
const account = 'arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}';
const arnOf = (service: string, rest: string, region?: string): unknown => {
  const prefix = account.replace('%s', service);
  return { 'Fn::Sub': `${region ? prefix.replace('${AWS::Region}', region) : prefix}:${rest}` };
};
const isArn = (name: string): boolean => name.startsWith('arn:');
const forStage = (name: string): string => name.replaceAll(stagePlaceholder, deployedStage);

/** https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html */
function parameterArn(name: string): unknown {
  if (isArn(name)) return forStage(name);
  return arnOf('ssm', `parameter${name.startsWith('/') ? '' : '/'}${forStage(name)}`);
}

/**
 * Secrets Manager appends `-` and six random characters to a secret's ARN; `-??????` matches exactly
 * those, as https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
 * advises. IAM matches the full ARN, so a partial ARN (the name without them, which GetSecretValue
 * takes) gets `-??????` too: granted as written, every read of it would be denied. The schema
 * refuses `*` and `?` written in an ARN (config-parts.ts), so this is the only wildcard granted.
 */
function secretArns(id: string): unknown[] {
  if (!isArn(id)) return [arnOf('secretsmanager', `secret:${forStage(id)}-??????`)];
  // Whether an ARN is partial cannot be told from it: a name may end in `-` and six characters of
  // its own (`pitcrew/github-secret`), so both are granted, as written and with the six.
  const arn = forStage(id);
  return [arn, `${arn}-??????`];
}

function readStatements(entries: readonly SecretEntry[]): PolicyStatement[] {
  const parameters = new Map<string, unknown>();
  const secrets = new Map<string, unknown[]>();
  for (const { ref } of entries) {
    if ('ssm' in ref) parameters.set(ref.ssm, parameterArn(ref.ssm));
    if ('secretsManager' in ref) secrets.set(ref.secretsManager, secretArns(ref.secretsManager));
  }
  const statements: PolicyStatement[] = [];
  if (parameters.size > 0)
    statements.push({ Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [...parameters.values()] });
  if (secrets.size > 0)
    statements.push({
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [...secrets.values()].flat(),
    });
  return statements;
}

function clusterStatements(cluster: PitcrewConfig['cluster']): PolicyStatement[] {
  const credentials = cluster.credentials;
  if (credentials.kind !== 'eks' || credentials.server) return [];
  return [
    {
      Effect: 'Allow',
      Action: ['eks:DescribeCluster'],
      Resource: [arnOf('eks', `cluster/${credentials.clusterName}`, credentials.region)],
    },
  ];
}

/**
 * A policy must have a statement; a function that reads no secret gets one that says so (and keeps
 * it so should someone widen another policy of the role later).
 */
const readsNothing: PolicyStatement = {
  Effect: 'Deny',
  Action: ['ssm:GetParameter', 'secretsmanager:GetSecretValue'],
  Resource: [arnOf('ssm', 'parameter/*'), arnOf('secretsmanager', 'secret:*')],
};

const document = (statements: PolicyStatement[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements.length > 0 ? statements : [readsNothing],
});

/**
 * Each function's read access to secrets and the cluster, exactly what the config names and nothing
 * more: the secrets it reads (sourceSecretEntries: the webhook only the webhook secrets, provision the
 * CIs' API credentials and agent tokens, reap and ops the API credentials alone) and, for the
 * functions that reach Kubernetes, the cluster's token (and DescribeCluster on that one EKS cluster).
 * scripts/build.ts writes this to dist/access.json, and serverless.yml gives each role its document.
 */
export function accessPolicies(config: PitcrewConfig): Record<FunctionName, PolicyDocument> {
  const clusterReads = clusterSecretEntries(config.cluster);
  const reaching = (fn: Exclude<FunctionName, 'webhook'>): PolicyDocument =>
    document([
      ...readStatements([...sourceSecretEntries(config.sources, fn), ...clusterReads]),
      ...clusterStatements(config.cluster),
    ]);
  return {
    webhook: document(readStatements(sourceSecretEntries(config.sources, 'webhook'))),
    provision: reaching('provision'),
    reap: reaching('reap'),
    ops: reaching('ops'),
  };
}

/**
 * The EKS cluster whose access entries the stack may create for the Kubernetes-facing roles (empty
 * strings: not EKS). The stack creates them only in its own region (serverless.yml's condition).
 */
export function eksAccessTarget(config: PitcrewConfig): { clusterName: string; region: string } {
  const credentials = config.cluster.credentials;
  if (credentials.kind !== 'eks') return { clusterName: '', region: '' };
  return { clusterName: credentials.clusterName, region: credentials.region ?? '' };
}
