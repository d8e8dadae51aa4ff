import { keys } from '../../../shared/state/keys';
import {
  packageTemplate,
  resourcesOfType,
  webhookItemPrefixes,
  type CfnTemplate,
} from '../../support/template';

interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * Actions that take no resource-level permission, so `*` is the only resource IAM accepts for them
 * (service authorization reference). None is granted today; listed so a future grant is judged right.
 */
const resourceless = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'cloudwatch:PutMetricData',
]);

/** A resource names one thing: a reference to a stack resource, or an ARN with no wildcard in it. */
function wildcardIn(resource: unknown): string | undefined {
  if (typeof resource === 'string') return resource.includes('*') ? resource : undefined;
  if (typeof resource !== 'object' || resource === null) return String(resource);
  const [kind, value] = Object.entries(resource)[0] ?? [];
  if (kind === 'Fn::GetAtt' || kind === 'Ref') return undefined;
  if (kind === 'Fn::Sub') return wildcardIn(Array.isArray(value) ? value[0] : value);
  if (kind === 'Fn::Join')
    return wildcardIn(
      (value as [string, unknown[]])[1].map((part) => (typeof part === 'string' ? part : '')).join(''),
    );
  return JSON.stringify(resource);
}

describe('the IAM statements of the packaged template (least privilege)', () => {
  let template: CfnTemplate;
  let roles: [string, { statements: Statement[]; properties: Record<string, unknown> }][];
  beforeAll(() => {
    template = packageTemplate();
    roles = resourcesOfType(template, 'AWS::IAM::Role').map(([id, role]) => {
      const policies = (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
      return [
        id,
        {
          statements: policies.flatMap((policy) => policy.PolicyDocument.Statement),
          properties: role.Properties ?? {},
        },
      ];
    });
  }, 120_000);

  it('has one role per function, each assumable by Lambda alone, with no managed policy (those grant "*")', () => {
    expect(roles.map(([id]) => id).sort()).toEqual(['OpsRole', 'ProvisionRole', 'ReapRole', 'WebhookRole']);
    for (const [id, role] of roles) {
      expect({ id, managed: role.properties.ManagedPolicyArns ?? [] }).toEqual({ id, managed: [] });
      expect(role.properties.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      });
    }
    // Policies only live inline on the roles: no stray policy resource can widen one.
    expect(resourcesOfType(template, 'AWS::IAM::Policy')).toEqual([]);
    expect(resourcesOfType(template, 'AWS::IAM::ManagedPolicy')).toEqual([]);
  });

  it('grants no wildcard action, and names the resource of every grant (a wildcard only where IAM takes no name)', () => {
    const problems: string[] = [];
    for (const [id, role] of roles) {
      for (const statement of role.statements.filter((candidate) => candidate.Effect === 'Allow')) {
        const actions = list(statement.Action);
        for (const action of actions) if (action.includes('*')) problems.push(`${id}: action ${action}`);
        if (actions.every((action) => resourceless.has(action))) continue;
        for (const resource of list(statement.Resource)) {
          const wildcard = wildcardIn(resource);
          if (wildcard !== undefined) problems.push(`${id}: ${actions.join(',')} on ${wildcard}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("grants data actions only on Pitcrew's own table, queues, secrets and cluster", () => {
    const granted = (id: string, service: string): string[] =>
      roles
        .find(([role]) => role === id)![1]
        .statements.filter((statement) => statement.Effect === 'Allow')
        .filter((statement) => list(statement.Action).some((action) => action.startsWith(`${service}:`)))
        .flatMap((statement) => list(statement.Resource).map((resource) => JSON.stringify(resource)));
    for (const [id] of roles) {
      for (const resource of granted(id, 'dynamodb'))
        expect(resource).toMatch(
          /^\{"Fn::GetAtt":\["StateTable","Arn"\]\}$|^\{"Fn::Sub":"\$\{StateTable\.Arn\}\/index\/byStatus"\}$/,
        );
      for (const resource of granted(id, 'sqs'))
        expect(resource).toMatch(/^\{"Fn::GetAtt":\["(ProvisionQueue|ProvisionDeadLetterQueue)","Arn"\]\}$/);
      for (const resource of [...granted(id, 'ssm'), ...granted(id, 'secretsmanager')])
        expect(resource).toMatch(/:(parameter\/|secret:)pitcrew\//);
      for (const resource of granted(id, 'logs'))
        expect(resource).toBe(JSON.stringify({ 'Fn::GetAtt': [`${id.replace('Role', '')}LogGroup`, 'Arn'] }));
    }
  });

  it('keeps each function to the verbs it uses: only ops reads the DLQ; nobody scans, batch-writes or deletes tables', () => {
    const actions = (id: string): string[] =>
      roles
        .find(([role]) => role === id)![1]
        .statements.filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => list(statement.Action));
    const dlqReaders = roles
      .filter(([, role]) =>
        role.statements.some(
          (statement) =>
            statement.Effect === 'Allow' &&
            JSON.stringify(statement.Resource).includes('ProvisionDeadLetterQueue'),
        ),
      )
      .map(([id]) => id);
    expect(dlqReaders).toEqual(['OpsRole']);
    for (const [id] of roles)
      expect({
        id,
        forbidden: actions(id).filter((action) =>
          /^dynamodb:(Scan|BatchWrite|Delete(Table|Backup)|Create|Update(Table|TimeToLive)|Restore|Export|Import)/.test(
            action,
          ),
        ),
      }).toEqual({ id, forbidden: [] });
    expect(
      actions('WebhookRole').filter((action) =>
        /^sqs:(Receive|Delete|Purge|ChangeMessageVisibility)/.test(action),
      ),
    ).toEqual([]);
    expect(actions('WebhookRole').filter((action) => action.startsWith('eks:'))).toEqual([]);
  });

  it("keeps the public webhook to requests and delivery markers: never a cap's counter, the drain setting or the lease", () => {
    const webhook = roles.find(([id]) => id === 'WebhookRole')![1];
    const onTable = webhook.statements.filter(
      (statement) =>
        statement.Effect === 'Allow' &&
        list(statement.Action).some((action) => action.startsWith('dynamodb:')) &&
        JSON.stringify(statement.Resource) === JSON.stringify({ 'Fn::GetAtt': ['StateTable', 'Arn'] }),
    );
    expect(onTable).toHaveLength(1);
    expect(onTable[0]!.Condition).toEqual({
      'ForAllValues:StringLike': {
        'dynamodb:LeadingKeys': webhookItemPrefixes.map((prefix) => `${prefix}*`),
      },
    });
    // The items it may touch are the ones it uses, and none that decides a cap, a drain or a lease.
    const allowed = (pk: string) => webhookItemPrefixes.some((prefix) => pk.startsWith(prefix));
    expect(allowed(keys.request('r').pk) && allowed(keys.delivery('jenkins', 'd').pk)).toBe(true);
    for (const other of [
      keys.globalCounter(),
      keys.templateCounter('t'),
      keys.settings(),
      keys.lease('reaper'),
    ])
      expect({ other, allowed: allowed(other.pk) }).toEqual({ other, allowed: false });
  });
});
