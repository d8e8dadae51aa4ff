import type { LocalAwsResources } from '../../../infra/local/aws-resources';
import { createRequestQueries, createRequestStore } from '../../../shared/state';
import { createTestAwsResources, testStateClient } from '../../support/aws';
import { queuedRecord } from '../../support/records';

/**
 * The webhook's backlog count (shared/webhook/backlog.ts counts with it) on DynamoDB Local: a
 * source's queued and waiting requests on the byStatus index, and no others, stopping at the cap.
 */
describe('countBacklog on DynamoDB Local', () => {
  const db = testStateClient();
  let resources: LocalAwsResources;

  beforeAll(async () => {
    resources = await createTestAwsResources();
    const requests = createRequestStore(db, resources.tableName);
    const seed: Array<[string, 'generic' | 'jenkins', 'queued' | 'waiting' | 'provisioned' | 'failed']> = [
      ['g-1', 'generic', 'queued'],
      ['g-2', 'generic', 'queued'],
      ['g-3', 'generic', 'queued'],
      ['g-4', 'generic', 'waiting'],
      ['g-5', 'generic', 'waiting'],
      ['g-6', 'generic', 'provisioned'],
      ['g-7', 'generic', 'failed'],
      ['j-1', 'jenkins', 'queued'],
    ];
    for (const [requestId, source, status] of seed)
      await requests.createIfAbsent(
        queuedRecord(requestId, {
          source,
          status,
          details:
            source === 'jenkins'
              ? { source, controllerUrl: 'https://ci/', queueItemId: 1, label: 'linux' }
              : { source },
        }),
      );
  });
  afterAll(() => db.destroy());

  it("counts a source's queued and waiting requests, and only those", async () => {
    const queries = createRequestQueries(db, resources.tableName);
    expect(await queries.countBacklog('generic', 100)).toBe(5);
    expect(await queries.countBacklog('jenkins', 100)).toBe(1);
    expect(await queries.countBacklog('github', 100)).toBe(0);
  });

  it('stops counting once the cap is reached', async () => {
    const queries = createRequestQueries(db, resources.tableName);
    // Three queued ones reach a cap of 2 before the waiting ones are read.
    expect(await queries.countBacklog('generic', 2)).toBe(3);
    expect(await queries.countBacklog('generic', 4)).toBeGreaterThanOrEqual(4);
  });
});
