import limits from '../../../infra/limits.json' with { type: 'json' };
import { createTableInput, tableShape } from '../../../shared/state';
import { packageTemplate, resourcesOfType, type CfnTemplate } from '../../support/template';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

describe('serverless package (offline, no AWS credentials)', () => {
  let template: CfnTemplate;
  beforeAll(() => {
    template = packageTemplate();
  }, 120_000);

  const props = (logicalId: string): Record<string, unknown> => {
    const resource = template.Resources[logicalId];
    if (!resource) throw new Error(`no ${logicalId} in the template`);
    return resource.Properties ?? {};
  };

  it('declares the four functions on nodejs22.x arm64', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual([
      'OpsLambdaFunction',
      'ProvisionLambdaFunction',
      'ReapLambdaFunction',
      'WebhookLambdaFunction',
    ]);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'handler.handler',
      });
    }
  });

  it('feeds provision from the queue with partial batch failures', () => {
    const [mapping] = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
    expect(mapping?.[1].Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['ProvisionQueue', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('gives the queue a DLQ redrive and a visibility timeout at least 6x the provision timeout', () => {
    const queue = props('ProvisionQueue');
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['ProvisionDeadLetterQueue', 'Arn'] },
      maxReceiveCount: limits.queueMaxReceiveCount,
    });
    expect(props('ProvisionLambdaFunction').Timeout).toBe(limits.provisionTimeoutSeconds);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * limits.provisionTimeoutSeconds);
  });

  it('schedules the reaper every minute and gives ops no event', () => {
    const rules = resourcesOfType(template, 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    expect(rules[0]?.[1].Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)' });
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').map(([id]) => id);
    expect(permissions.some((id) => id.startsWith('Ops'))).toBe(false);
  });

  it('routes POST /webhooks/{source} to the webhook function', () => {
    const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route');
    expect(routes.map(([, route]) => route.Properties?.RouteKey)).toEqual(['POST /webhooks/{source}']);
  });

  it('declares the table exactly as shared/state/table.ts does, on demand, with TTL and PITR', () => {
    const table = props('StateTable');
    const local = createTableInput('unused');
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.KeySchema).toEqual(local.KeySchema);
    expect(table.AttributeDefinitions).toEqual(local.AttributeDefinitions);
    expect(table.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: tableShape.ttlAttribute, Enabled: true });
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('names a resource in every IAM statement and never uses a wildcard action', () => {
    const roles = resourcesOfType(template, 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThanOrEqual(4);
    for (const [roleId, role] of roles) {
      const policies = (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
      for (const statement of policies.flatMap((policy) => policy.PolicyDocument.Statement)) {
        const actions = ([] as string[]).concat(statement.Action);
        expect({ roleId, wildcardActions: actions.filter((action) => action.includes('*')) }).toEqual({
          roleId,
          wildcardActions: [],
        });
        expect(JSON.stringify(statement.Resource)).not.toMatch(/"\*"/);
      }
    }
  });

  // What each function's code calls (shared/state/*-store.ts): DynamoDB Local has no IAM, so only
  // this test can catch a missing grant before AWS does.
  it.each([
    ['WebhookRole', ['GetItem', 'PutItem', 'UpdateItem'], false],
    [
      'ProvisionRole',
      ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem', 'Query'],
      true,
    ],
    ['ReapRole', ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'ConditionCheckItem'], true],
  ])('%s grants the DynamoDB actions its function uses', (roleId, actions, needsIndex) => {
    const policies = (props(roleId).Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
    const dynamo = policies
      .flatMap((policy) => policy.PolicyDocument.Statement)
      .filter((statement) =>
        ([] as string[]).concat(statement.Action).some((action) => action.startsWith('dynamodb:')),
      );
    const granted = dynamo.flatMap((statement) => ([] as string[]).concat(statement.Action));
    for (const action of actions) expect(granted).toContain(`dynamodb:${action}`);
    const resources = JSON.stringify(dynamo.map((statement) => statement.Resource));
    expect(resources).toContain('StateTable');
    if (needsIndex) expect(resources).toContain('/index/byStatus');
  });

  it('gives each function its own role', () => {
    const roleOf = (fn: string): unknown => props(`${fn}LambdaFunction`).Role;
    expect(
      new Set(['Webhook', 'Provision', 'Reap', 'Ops'].map((fn) => JSON.stringify(roleOf(fn)))).size,
    ).toBe(4);
  });
});
