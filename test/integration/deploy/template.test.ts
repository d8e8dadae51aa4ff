import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { accessPolicies, parseConfig } from '../../../shared/config';
import { metricNames, metricsNamespace } from '../../../shared/lambda';
import { packageTemplate, resourcesOfType, type CfnTemplate } from '../../support/template';

/** The config `npm run package` bundles when PITCREW_CONFIG is unset. */
const exampleConfig = 'infra/pitcrew.example.yaml';
const stage = 'test';
const functions = ['webhook', 'provision', 'reap', 'ops'] as const;
const roleOf = {
  webhook: 'WebhookRole',
  provision: 'ProvisionRole',
  reap: 'ReapRole',
  ops: 'OpsRole',
} as const;

interface Policy {
  PolicyName: string;
  PolicyDocument: { Statement: { Effect: string; Action: string[]; Resource: unknown[] }[] };
}
interface MetricQuery {
  Id: string;
  Expression?: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
  };
}

describe('the packaged template, as `serverless package --stage test` writes it offline', () => {
  let template: CfnTemplate;
  let traced: CfnTemplate;
  beforeAll(() => {
    template = packageTemplate(stage);
    traced = packageTemplate(stage, ['--param=tracing=Active'], { build: false });
  }, 300_000);

  const props = (logicalId: string, from = template): Record<string, unknown> => {
    const resource = from.Resources[logicalId];
    if (!resource) throw new Error(`no ${logicalId} in the template`);
    return resource.Properties ?? {};
  };
  const policiesOf = (roleId: string, from = template): Policy[] => props(roleId, from).Policies as Policy[];

  describe('least-privilege secret access', () => {
    it('gives each role read on exactly the parameters, secrets and cluster the bundled config names', () => {
      const config = parseConfig(readFileSync(exampleConfig, 'utf8'), exampleConfig);
      // serverless fills in `${sls:stage}`; CloudFormation the partition, region and account.
      const expected = JSON.parse(
        JSON.stringify(accessPolicies(config)).replaceAll('${sls:stage}', stage),
      ) as Record<string, unknown>;
      for (const fn of functions) {
        const secrets = policiesOf(roleOf[fn]).find((policy) => policy.PolicyName === 'secrets');
        expect({ fn, document: secrets?.PolicyDocument }).toEqual({ fn, document: expected[fn] });
      }
    });

    it('names the stage in every parameter ARN, and only the functions that reach the cluster may describe it', () => {
      const webhook = JSON.stringify(policiesOf('WebhookRole'));
      expect(webhook).toContain(':parameter/pitcrew/test/github/webhook-secret');
      expect(webhook).not.toContain('{stage}');
      expect(webhook).not.toContain('eks:DescribeCluster');
      expect(JSON.stringify(policiesOf('ProvisionRole'))).toContain(':cluster/ci-agents');
    });
  });

  describe('EKS access', () => {
    it('maps the provision role to the group infra/k8s binds to the provisioner, reap and ops to the reaper (not the webhook)', () => {
      const bindings = parseAllDocuments(readFileSync('infra/k8s/30-rolebinding.yaml', 'utf8')).map(
        (doc) => doc.toJS() as { roleRef: { name: string }; subjects: { kind: string; name: string }[] },
      );
      const groupOf = (role: string) =>
        bindings
          .find((binding) => binding.roleRef.name === role)
          ?.subjects.find((subject) => subject.kind === 'Group')?.name;
      const entries = resourcesOfType(template, 'AWS::EKS::AccessEntry');
      const byRole = Object.fromEntries(
        entries.map(([, entry]) => [
          (entry.Properties?.PrincipalArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
          entry,
        ]),
      );
      expect(Object.keys(byRole).sort()).toEqual(['OpsRole', 'ProvisionRole', 'ReapRole']);
      const expected = {
        ProvisionRole: groupOf('pitcrew-provision'),
        ReapRole: groupOf('pitcrew-reaper'),
        OpsRole: groupOf('pitcrew-reaper'),
      };
      expect(expected).toEqual({
        ProvisionRole: 'pitcrew:provisioners',
        ReapRole: 'pitcrew:reapers',
        OpsRole: 'pitcrew:reapers',
      });
      for (const [role, group] of Object.entries(expected)) {
        expect(byRole[role]).toMatchObject({
          Condition: 'CreateEksAccessEntries',
          Properties: { ClusterName: { Ref: 'EksClusterName' }, Type: 'STANDARD', KubernetesGroups: [group] },
        });
      }
    });

    it("takes the cluster's name from the bundled config", () => {
      const parameters = (template as unknown as { Parameters: Record<string, { Default: string }> })
        .Parameters;
      expect(parameters.EksClusterName?.Default).toBe('ci-agents');
      expect(parameters.EksAccessEntries?.Default).toBe('true');
    });
  });

  describe('alarms', () => {
    const alarm = (id: string) => props(id);
    const metricOf = (id: string, queryId: string) =>
      (alarm(id).Metrics as MetricQuery[]).find((query) => query.Id === queryId)?.MetricStat?.Metric;

    it('fires when a message reaches the dead-letter queue', () => {
      expect(alarm('DeadLetterQueueAlarm')).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': ['ProvisionDeadLetterQueue', 'QueueName'] } },
        ],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
    });

    it('fires when the oldest waiting request is older than N minutes, on the metric the reaper writes', () => {
      expect(metricOf('OldestWaitingAlarm', 'oldestSeconds')).toEqual({
        Namespace: metricsNamespace,
        MetricName: metricNames.oldestWaitingSeconds,
        Dimensions: [
          { Name: 'service', Value: 'pitcrew-reap' },
          { Name: 'stage', Value: stage },
        ],
      });
      expect(alarm('OldestWaitingAlarm')).toMatchObject({
        Threshold: 15,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      const minutes = (alarm('OldestWaitingAlarm').Metrics as MetricQuery[]).find(
        (q) => q.Id === 'oldestMinutes',
      );
      expect(minutes?.Expression).toBe('oldestSeconds / 60');
    });

    it('fires on provision failures and on provision function errors', () => {
      expect(metricOf('ProvisionErrorsAlarm', 'failed')).toEqual({
        Namespace: metricsNamespace,
        MetricName: metricNames.provisionFailed,
        Dimensions: [
          { Name: 'service', Value: 'pitcrew-provision' },
          { Name: 'stage', Value: stage },
        ],
      });
      expect(metricOf('ProvisionErrorsAlarm', 'crashed')).toEqual({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'ProvisionLambdaFunction' } }],
      });
    });

    it('notifies one topic, which an e-mail address may subscribe to at deploy time', () => {
      for (const [, resource] of resourcesOfType(template, 'AWS::CloudWatch::Alarm'))
        expect(resource.Properties?.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(template.Resources.AlarmEmailSubscription).toMatchObject({ Condition: 'HasAlarmEmail' });
    });
  });

  describe('dashboard', () => {
    it('charts every metric the functions write, and the queues and functions', () => {
      const body = (props('Dashboard').DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
      const dashboard = JSON.parse(body.replace(/\$\{[^}]+\}/g, 'X')) as { widgets: unknown[] };
      expect(dashboard.widgets.length).toBeGreaterThanOrEqual(6);
      for (const name of Object.values(metricNames))
        expect({ name, found: body.includes(name) }).toEqual({ name, found: true });
      for (const name of ['ApproximateNumberOfMessagesVisible', 'Errors', 'Throttles', 'Duration'])
        expect(body).toContain(name);
      expect(body).toContain('stage=\\"test\\"');
    });
  });

  describe('the X-Ray switch', () => {
    it('is off by default: pass-through tracing, Powertools Tracer off, no X-Ray grant', () => {
      for (const fn of ['Webhook', 'Provision', 'Reap', 'Ops']) {
        const lambda = props(`${fn}LambdaFunction`);
        expect(lambda.TracingConfig).toEqual({ Mode: 'PassThrough' });
        expect(lambda).toMatchObject({ Environment: { Variables: { POWERTOOLS_TRACE_ENABLED: 'false' } } });
        expect(props(`${fn}Role`).ManagedPolicyArns).toEqual([]);
      }
    });

    it('with tracing=Active traces every function and lets each role write to X-Ray', () => {
      for (const fn of ['Webhook', 'Provision', 'Reap', 'Ops']) {
        const lambda = props(`${fn}LambdaFunction`, traced);
        expect(lambda.TracingConfig).toEqual({ Mode: 'Active' });
        expect(lambda).toMatchObject({ Environment: { Variables: { POWERTOOLS_TRACE_ENABLED: 'true' } } });
        expect(JSON.stringify(props(`${fn}Role`, traced).ManagedPolicyArns)).toContain(
          'AWSXRayDaemonWriteAccess',
        );
      }
    });
  });
});
