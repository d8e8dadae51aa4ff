import { localCis } from '../../../infra/local/stand-ins/local-cis';
import { newRequestMessage } from '../../../shared/queue/messages';
import { createSqsProvisionSender } from '../../../shared/queue/provision-queue';
import { requestIdFor } from '../../../shared/requests';
import type { LocalCi } from '../../../infra/local/stand-ins/local-ci';
import { setPath } from '../../support/set-path';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

/**
 * A template's `from` on the real servers (docs/security.md, "Templates kept to some origins"): for
 * each CI whose templates take it, a template kept to the kit's second origin serves that origin's
 * builds, and a build from another allowed origin that asks for the same labels gets the template
 * for anyone, or nothing at all, never the kept template's pod.
 */
const kept = localCis.filter((ci): ci is LocalCi & Required<Pick<LocalCi, 'secondOrigin'>> =>
  Boolean(ci.secondOrigin),
);
/** A GitLab Job Hook carries no job tags (docs/gitlab.md): its builds always ask for the source's tags. */
const asksForLabels = (ci: LocalCi): boolean => ci.name !== 'gitlab';
/** The harness's template for anyone of each CI (test/support/provisioning.ts). */
const forAnyone = (ci: LocalCi): string => (ci.name === 'github' ? 'gh-linux' : `${ci.name}-linux`);

describe("a template's from, on the real servers", () => {
  let system: ProvisioningSystem;
  let nextId = 810_000;
  beforeAll(async () => {
    system = await startProvisioningSystem({
      templates: kept.flatMap((ci) => [
        // Higher priority than the template for anyone: only `from` keeps other origins off it.
        {
          name: `${ci.name}-deploy`,
          source: ci.name,
          labels: [...ci.labels],
          priority: 10,
          from: [ci.secondOrigin.name],
        },
        {
          name: `${ci.name}-only`,
          source: ci.name,
          labels: [...ci.labels, 'deploy-only'],
          from: [ci.secondOrigin.name],
        },
      ]),
      // The harness's own GitHub allows acme/*; the kit's second repository is another owner's.
      sourceSettings: { github: { repositories: ['acme/*', 'pitcrew/*'] } },
    });
  });
  afterAll(() => system.close());

  /** Sends build `id`'s queued delivery, from the second origin or not, asking for `labels`. */
  function sendQueued(ci: LocalCi, options: { fromSecond: boolean; labels?: readonly string[] }) {
    const id = nextId++;
    const delivery = ci.delivery(id, 'queued', options.labels ? { labels: options.labels } : {});
    const changes = options.fromSecond ? (ci.secondOrigin?.changes ?? []) : [];
    const body = changes.reduce<unknown>(
      (moved, [path, value]) => setPath(moved, path, value),
      delivery.body,
    );
    return system.sendWebhook(ci.name, body, { 'content-type': 'application/json', ...delivery.headers });
  }

  /** Provisions what is queued, and answers the template of the request and of its pod. */
  async function templatesOf(requestId: unknown): Promise<{ record?: string; pod?: string }> {
    await system.provisionAll();
    const record = await system.requests.get(String(requestId));
    const pod = (await system.listPods()).find(
      (candidate) => candidate.metadata?.labels?.['pitcrew.dev/request-id'] === requestId,
    );
    return { record: record?.template, pod: pod?.metadata?.labels?.['pitcrew.dev/template'] };
  }

  it.each(kept.map((ci) => [ci.name, ci] as const))(
    '%s: a build from the kept origin gets the kept template, and its pod',
    async (name, ci) => {
      const answer = await sendQueued(ci, { fromSecond: true });
      expect(answer.statusCode).toBe(202);
      expect(await templatesOf(answer.body.requestId)).toEqual({
        record: `${name}-deploy`,
        pod: `${name}-deploy`,
      });
    },
  );

  it.each(kept.map((ci) => [ci.name, ci] as const))(
    '%s: a build from another allowed origin asking the same labels gets the template for anyone',
    async (_name, ci) => {
      const answer = await sendQueued(ci, { fromSecond: false });
      expect(answer.statusCode).toBe(202);
      expect(await templatesOf(answer.body.requestId)).toEqual({ record: forAnyone(ci), pod: forAnyone(ci) });
    },
  );

  it.each(kept.filter(asksForLabels).map((ci) => [ci.name, ci] as const))(
    '%s: a build from another origin asking for labels only the kept template offers is ignored, and no pod is made',
    async (name, ci) => {
      const podsBefore = (await system.listPods()).length;
      const answer = await sendQueued(ci, { fromSecond: false, labels: [...ci.labels, 'deploy-only'] });
      expect(answer).toEqual({
        statusCode: 200,
        body: expect.objectContaining({
          status: 'ignored',
          reason: expect.stringMatching(
            new RegExp(`^no ${name} template serves .* from \\S+ \\(a template's from leaves it out\\)$`),
          ),
        }),
      });
      await system.provisionAll();
      expect((await system.listPods()).length).toBe(podsBefore);
      // The same labels from the kept origin are served: the labels alone did not keep it out.
      const trusted = await sendQueued(ci, { fromSecond: true, labels: [...ci.labels, 'deploy-only'] });
      expect(await templatesOf(trusted.body.requestId)).toMatchObject({ pod: `${name}-only` });
    },
  );

  it.each(kept.map((ci) => [ci.name, ci] as const))(
    '%s: a build recorded for the kept template from elsewhere (the config changed since) fails at provision, with no pod and no slot',
    async (name, ci) => {
      // A build the webhook recorded for the template for anyone, then the same build as a record
      // written before the kept template got its `from`: its template, its origin's details.
      const answer = await sendQueued(ci, { fromSecond: false });
      const fresh = await system.requests.get(String(answer.body.requestId));
      if (!fresh) throw new Error('the webhook recorded nothing');
      const jobKey = `${fresh.jobKey}-before-from`;
      const old = { ...fresh, jobKey, requestId: requestIdFor(ci.name, jobKey), template: `${name}-deploy` };
      expect(await system.requests.createIfAbsent(old)).toMatchObject({ created: true });
      await createSqsProvisionSender(system.sqs, system.resources.queueUrl).send(newRequestMessage(old));
      await system.provisionAll();
      expect(await system.requests.get(old.requestId)).toMatchObject({
        status: 'failed',
        holdsSlot: false,
        reason: `template '${name}-deploy' serves only builds from ${ci.secondOrigin.name}, and this build is from acme/app` /* every kit's first origin */,
      });
      const pods = await system.listPods();
      expect(
        pods.filter((pod) => pod.metadata?.labels?.['pitcrew.dev/request-id'] === old.requestId),
      ).toEqual([]);
    },
  );

  /** Each CI's details moved to an origin its allow-list leaves out (the harness lists acme/* and the kit's second origin). */
  const elsewhere: Record<string, Record<string, unknown>> = {
    github: { owner: 'elsewhere' },
    gitlab: { projectPath: 'elsewhere/app' },
    buildkite: { organization: 'elsewhere' },
  };

  it.each(kept.map((ci) => [ci.name, ci] as const))(
    '%s: a build recorded from an origin its source no longer lists (the config changed since) fails at provision, with no pod and no slot',
    async (name, ci) => {
      // The build as recorded while its origin was still listed: the template for anyone.
      const answer = await sendQueued(ci, { fromSecond: false });
      const fresh = await system.requests.get(String(answer.body.requestId));
      if (!fresh) throw new Error('the webhook recorded nothing');
      const jobKey = `${fresh.jobKey}-before-delisting`;
      const old = {
        ...fresh,
        jobKey,
        requestId: requestIdFor(ci.name, jobKey),
        details: { ...fresh.details, ...elsewhere[name] } as typeof fresh.details,
      };
      expect(await system.requests.createIfAbsent(old)).toMatchObject({ created: true });
      await createSqsProvisionSender(system.sqs, system.resources.queueUrl).send(newRequestMessage(old));
      await system.provisionAll();
      expect(await system.requests.get(old.requestId)).toMatchObject({
        status: 'failed',
        holdsSlot: false,
        reason: expect.stringMatching(new RegExp(`^elsewhere/\\S+ is not among sources\\.${name}\\.`)),
      });
      const pods = await system.listPods();
      expect(
        pods.filter((pod) => pod.metadata?.labels?.['pitcrew.dev/request-id'] === old.requestId),
      ).toEqual([]);
    },
  );
});
