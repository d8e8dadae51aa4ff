import limits from '../../../infra/limits.json' with { type: 'json' };
import { createTableInput, tableShape } from '../../../shared/state';
import { packageTemplate, resourcesOfType, type CfnTemplate } from '../../support/template';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** The flood limits' stage params, overridden on the command line (docs/deploy.md). */
const overrides = {
  webhookThrottleRateLimit: 5,
  webhookThrottleBurstLimit: 8,
  webhookReservedConcurrency: 3,
  provisionMaximumConcurrency: 2,
};

describe('serverless package (offline, no AWS credentials)', () => {
  let template: CfnTemplate;
  let overridden: CfnTemplate;
  beforeAll(() => {
    template = packageTemplate();
    // The same bundles, packaged again with other stage params: no second build.
    const params = Object.entries(overrides).map(([name, value]) => `--param=${name}=${value}`);
    overridden = packageTemplate('test', params, { build: false });
  }, 180_000);

  const props = (logicalId: string, from = template): Record<string, unknown> => {
    const resource = from.Resources[logicalId];
    if (!resource) throw new Error(`no ${logicalId} in the template`);
    return resource.Properties ?? {};
  };
  /** What the flood limits came out as (params given on the command line arrive as strings). */
  const floodLimits = (from: CfnTemplate) => {
    const routes = props('HttpApiStage', from).DefaultRouteSettings as Record<string, unknown>;
    const [mapping] = resourcesOfType(from, 'AWS::Lambda::EventSourceMapping');
    const scaling = mapping?.[1].Properties?.ScalingConfig as Record<string, unknown> | undefined;
    return {
      webhookThrottleRateLimit: Number(routes.ThrottlingRateLimit),
      webhookThrottleBurstLimit: Number(routes.ThrottlingBurstLimit),
      webhookReservedConcurrency: Number(props('WebhookLambdaFunction', from).ReservedConcurrentExecutions),
      provisionMaximumConcurrency: Number(scaling?.MaximumConcurrency),
    };
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

  it('throttles the webhook route, reserves the webhook concurrency and bounds the provision concurrency', () => {
    expect(floodLimits(template)).toEqual({
      webhookThrottleRateLimit: 50,
      webhookThrottleBurstLimit: 100,
      webhookReservedConcurrency: 100,
      provisionMaximumConcurrency: 10,
    });
    // Lambda refuses a synchronous call above the reservation at once: a burst the route lets
    // through must fit in it, or the CI gets a 5xx it may never send again (review, 2026-12-06).
    const limits = floodLimits(template);
    expect(limits.webhookReservedConcurrency).toBeGreaterThanOrEqual(limits.webhookThrottleBurstLimit);
    // On the `$default` stage osls generates for the HTTP API, so every route is throttled.
    expect(props('HttpApiStage')).toMatchObject({ StageName: '$default', ApiId: { Ref: 'HttpApi' } });
    expect(resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')).toHaveLength(1);
  });

  it('takes the flood limits from the stage params', () => {
    expect(floodLimits(overridden)).toEqual(overrides);
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
    ['WebhookRole', ['GetItem', 'PutItem', 'UpdateItem', 'Query'], true],
    [
      'ProvisionRole',
      ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem', 'Query'],
      true,
    ],
    ['ReapRole', ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'], true],
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

  it('lets the webhook query the byStatus index (a source backlog) and never the table itself', () => {
    const policies = (props('WebhookRole').Policies ?? []) as {
      PolicyDocument: { Statement: Statement[] };
    }[];
    const queries = policies
      .flatMap((policy) => policy.PolicyDocument.Statement)
      .filter((statement) => ([] as string[]).concat(statement.Action).includes('dynamodb:Query'));
    expect(queries).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:Query'],
        Resource: { 'Fn::Sub': '${StateTable.Arn}/index/byStatus' },
      },
    ]);
  });

  /** Every action a role's inline policies grant, by service prefix. */
  const granted = (roleId: string, prefix: string): string[] =>
    ((props(roleId).Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[])
      .flatMap((policy) => policy.PolicyDocument.Statement)
      .flatMap((statement) => ([] as string[]).concat(statement.Action))
      .filter((action) => action.startsWith(prefix))
      .sort();

  // A review of the deployment (2026-12-06) found grants no code used.
  it('grants the provision role the SQS actions of its trigger and its requeues, and nothing else', () => {
    expect(granted('ProvisionRole', 'sqs:')).toEqual([
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ]);
  });

  it('grants dynamodb:ConditionCheckItem only to provision, the one function that checks the settings in a slot transaction', () => {
    expect(granted('ProvisionRole', 'dynamodb:')).toContain('dynamodb:ConditionCheckItem');
    for (const roleId of ['WebhookRole', 'ReapRole', 'OpsRole'])
      expect({ roleId, actions: granted(roleId, 'dynamodb:') }).not.toEqual(
        expect.objectContaining({ actions: expect.arrayContaining(['dynamodb:ConditionCheckItem']) }),
      );
  });

  it("neither retries a failed reaper run nor runs a late one: the next minute's run does the work", () => {
    const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig');
    expect(configs.map(([, config]) => config.Properties)).toEqual([
      expect.objectContaining({
        FunctionName: { Ref: 'ReapLambdaFunction' },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      }),
    ]);
  });

  it('keeps a dead letter longer than the provision queue keeps a message', () => {
    expect(props('ProvisionQueue').MessageRetentionPeriod).toBe(limits.queueRetentionSeconds);
    expect(props('ProvisionDeadLetterQueue').MessageRetentionPeriod).toBe(limits.deadLetterRetentionSeconds);
    expect(limits.deadLetterRetentionSeconds).toBeGreaterThan(limits.queueRetentionSeconds);
  });

  it('alarms on failed, throttled or 503 webhook calls and on a failing reaper or its failing actions', () => {
    const alarms = new Map(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
    const webhook = JSON.stringify(alarms.get('WebhookErrorsAlarm')?.Properties);
    expect(webhook).toContain('"MetricName":"Errors"');
    expect(webhook).toContain('"MetricName":"Throttles"');
    expect(webhook).toContain('{"Ref":"WebhookLambdaFunction"}');
    expect(webhook).toContain('"MetricName":"Webhooks"');
    const reaper = JSON.stringify(alarms.get('ReaperErrorsAlarm')?.Properties);
    expect(reaper).toContain('"MetricName":"Errors"');
    expect(reaper).toContain('{"Ref":"ReapLambdaFunction"}');
    expect(reaper).toContain('"MetricName":"ReapErrors"');
    // A run that skips (another run holds the lease) reports nothing, and is no breach.
    expect(alarms.get('OldestWaitingAlarm')?.Properties).toMatchObject({ TreatMissingData: 'notBreaching' });
    for (const [, alarm] of alarms)
      expect(alarm.Properties).toMatchObject({ AlarmActions: [{ Ref: 'AlarmTopic' }] });
  });

  it('gives each function its own role', () => {
    const roleOf = (fn: string): unknown => props(`${fn}LambdaFunction`).Role;
    expect(
      new Set(['Webhook', 'Provision', 'Reap', 'Ops'].map((fn) => JSON.stringify(roleOf(fn)))).size,
    ).toBe(4);
  });
});
