import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { readQueueDepth } from '../../../shared/queue';
import { importHandler } from '../../support/handlers';
import { lambdaContext } from '../../../infra/local/stand-ins/lambda';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

type Ops = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * The ops function under random and mutated events, against the real servers: a refused event
 * (OpsInputError) changes nothing in the table, the queues or the cluster, and no event makes the
 * function fail with anything but an error of its own (OpsError) or an answer.
 */
describe('the ops function under random events (real DynamoDB, SQS and API server)', () => {
  let system: ProvisioningSystem;
  let ops: Ops;
  let queuedId: string;

  beforeAll(async () => {
    system = await startProvisioningSystem();
    ops = (await importHandler('ops', system.env)).handler as unknown as Ops;
    // Something to change, if a refused event were let through: a queued build and its message.
    const queued = await system.sendWebhook(
      'generic',
      { action: 'queued', job: { id: 'props-1', labels: ['linux'] } },
      { 'x-pitcrew-delivery': 'props-1' },
    );
    queuedId = String(queued.body.requestId);
  }, 180_000);
  afterAll(() => system.close());

  async function snapshot() {
    const { Items = [] } = await system.db.send(new ScanCommand({ TableName: system.resources.tableName }));
    const items = Items.filter((item) => !String(item.pk).startsWith('lease'))
      .map((item) => JSON.stringify(item))
      .sort();
    const queue = await readQueueDepth(system.sqs, system.resources.queueUrl);
    const pods = (await system.listPods()).map((pod) => pod.metadata?.name).sort();
    return { items, queue: queue.visible + queue.inFlight, pods };
  }

  const mutatingActions = ['drain', 'resume', 'cancel', 'retry', 'redrive', 'caps', 'reconcile'];

  it('refused events write nothing; every failure is an OpsError', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...mutatingActions),
        fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue(), { maxKeys: 3 }),
        async (action, extra) => {
          // A mutating action with at least one field it does not take, or with a wrong value.
          const event = { action, ...extra, [`bogus${Object.keys(extra).length}`]: true };
          const failure = await ops(event, lambdaContext('ops')).then(
            () => undefined,
            (error: Error) => error,
          );
          expect(failure?.name).toBe('OpsInputError');
        },
      ),
      { numRuns: 100 },
    );
    expect(await snapshot()).toEqual(before);
  });

  it('destructive actions without confirm: true are refused by name and write nothing', async () => {
    const before = await snapshot();
    const destructive = [
      { action: 'cancel', requestId: queuedId },
      { action: 'drain' },
      { action: 'reconcile', force: true },
      { action: 'redrive', max: 10 },
      { action: 'caps', cap: 0 },
      { action: 'caps', template: 'gen-linux', cap: 0 },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...destructive),
        fc.constantFrom<{ confirm?: unknown }>({}, { confirm: false }),
        fc.option(
          fc.string({ minLength: 1, maxLength: 40 }).filter((actor) => actor.trim() !== ''),
          {
            nil: undefined,
          },
        ),
        async (event, confirm, actor) => {
          const failure = await ops(
            { ...event, ...confirm, ...(actor === undefined ? {} : { actor }) },
            lambdaContext('ops'),
          ).then(
            () => undefined,
            (error: Error) => error,
          );
          expect(failure?.name).toBe('OpsInputError');
          expect(failure?.message).toMatch(/'confirm' is required/);
        },
      ),
      { numRuns: 50 },
    );
    expect(await snapshot()).toEqual(before);
  });
});
