import { requestIdFor } from '../../../shared/requests';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

describe('lost webhooks: the reaper polls the Jenkins queue (sources.jenkins.pollQueue)', () => {
  let system: ProvisioningSystem;
  // Its set-up imports three handlers cold: 31 and 34 s in two full runs on 2 cores, once over 60 s.
  beforeAll(async () => {
    system = await startProvisioningSystem({
      jenkinsPollQueue: true,
      templates: [{ name: 'jk-docker-gpu', source: 'jenkins', labels: ['docker', 'gpu'], instanceCap: 5 }],
    });
  }, 120_000);
  afterAll(() => system.close());

  it('enqueues a build Jenkins is waiting on that Pitcrew never heard of, once, and provisions it', async () => {
    const jobUrl = `${system.jenkins.url}job/app/12/`;
    system.jenkins.state.queue.push(
      { id: 501, why: 'Waiting for next available executor on ‘linux’', taskName: 'app', taskUrl: jobUrl },
      // Not ours: it waits for nothing a template serves, for what the one template offering its
      // label refuses (that agent would carry `gpu`), or for no label at all.
      { id: 502, why: 'Waiting for next available executor on ‘windows’', taskName: 'win' },
      { id: 504, why: 'Waiting for next available executor on ‘docker && !gpu’', taskName: 'cpu' },
      { id: 503, why: 'In the quiet period. Expires in 4.9 sec', taskName: 'quiet' },
    );
    const first = await system.reapNow();
    expect(first.recovered).toBe(1);
    // The jobKey is the one the webhook would have used, so a late webhook for it is a duplicate.
    const requestId = requestIdFor('jenkins', `${system.jenkins.url}#501`);
    expect(await system.requests.get(requestId)).toMatchObject({
      status: 'queued',
      template: 'jk-linux',
      url: jobUrl,
    });
    const late = await system.sendWebhook(
      'jenkins',
      { action: 'queued', job: { id: 501, labels: ['linux'] } },
      { 'x-pitcrew-delivery': 'late-501' },
    );
    expect(late.body).toMatchObject({ status: 'ignored', requestId });

    expect((await system.reapNow()).recovered).toBe(0);
    await system.provisionAll();
    expect((await system.requests.get(requestId))?.status).toBe('provisioned');
  });
});
