import * as v from '../../shared/schema/valibot';
import type { SecretRef } from '../../shared/config/file-schema';
import { ciApiModules } from '../support/api-modules';
import type { CiApiModule, SecretLookup } from '../../shared/sources/module';
import { ciReceiverModules, createCiReceiver } from '../../shared/sources/receiver-registry';
import type { AnyCiModule } from '../../shared/sources/registry';
import { verifyDelivery } from '../../shared/sources/signature';
import { signedHeadersFor } from '../../shared/sources/signing';
import type {
  AgentCredentials,
  AgentRequest,
  BuildAction,
  SourceDetails,
  WebhookInput,
} from '../../shared/sources/types';
import { ciConfigSchemas } from '../../shared/sources/config-registry';

/**
 * The contract every CI module (shared/sources/<ci>/module.ts and api-module.ts) keeps, run over each
 * registered module by test/unit/sources/ci-contract.test.ts with the samples the module supplies.
 */

/** A delivery as its CI sends it, before signing: header names lower-cased, the exact body. */
export interface SampleDelivery {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A local stand-in of a CI's API (infra/local/stand-ins), running. */
export interface ApiStandIn {
  /** A config section pointing at the stand-in (its API secrets as `{ value }` references). */
  readonly config: Record<string, unknown>;
  /** What a request record keeps for a build of this CI. */
  readonly details: SourceDetails;
  /** The agents registered at the stand-in right now, by name. */
  agentNames(): readonly string[];
  /**
   * For a CI whose agents register themselves when their pod starts (Buildkite's, with the agent
   * token): plays that pod, connecting the agent to the stand-in with the credentials it was given.
   */
  connect?(agentName: string, credentials: AgentCredentials): void;
  /**
   * For a CI whose adapter polls for lost events (`listQueuedBuilds`, enabled in `config`): makes
   * the stand-in list one queued job of an allowed origin, and gives the job key its webhook would
   * have been parsed into.
   */
  queueJob?(): { readonly jobKey: string };
  close(): Promise<void>;
}

export interface CiContractSamples {
  /** The smallest config section the module accepts; its secrets are `{ value }` references. */
  readonly minimalConfig: Readonly<Record<string, unknown>>;
  /** A field of `minimalConfig` the schema requires. */
  readonly requiredField: string;
  /** One delivery per build action, as the CI would send it at `nowMs`. */
  deliveries(nowMs: number): Readonly<Record<'queued' | 'started' | 'completed', SampleDelivery>>;
  /**
   * For a module that refuses origins the operator did not allow: a signed delivery from one, which
   * its receiver must refuse with one of its receiver module's `refusalReasons`.
   */
  refused?(nowMs: number): SampleDelivery;
  /** For a module with an API: starts its local stand-in. */
  startApi?(): Promise<ApiStandIn>;
}

/** Local secrets only: the samples' secrets are `{ value }` references. */
const valueOf: SecretLookup = (ref: SecretRef, where: string) => {
  if (!('value' in ref)) throw new Error(`${where}: the contract samples use { value } secrets only`);
  return ref.value;
};

export function describeCiSourceContract(module: AnyCiModule, samples: CiContractSamples): void {
  const nowMs = Date.parse('2026-03-01T12:00:00Z');
  const settings = () => {
    const parsed = ciConfigSchemas[module.name].safeParse(samples.minimalConfig);
    if (!parsed.success)
      throw new Error(`the minimal config of ${module.name} is refused: ${parsed.error.message}`);
    return parsed.data;
  };
  const webhookSecret = (): string => valueOf([settings().webhookSecret].flat()[0]!, 'webhookSecret');
  const receiver = () => createCiReceiver(module, settings(), valueOf, () => nowMs);
  const signed = (delivery: SampleDelivery, secret: string): WebhookInput => ({
    headers: { ...delivery.headers, ...signedHeadersFor(module.name, delivery.body, secret, nowMs) },
    rawBody: Buffer.from(delivery.body),
  });

  describe(`CI module ${module.name}`, () => {
    describe('config schema', () => {
      it('accepts its minimal config', () => {
        expect(ciConfigSchemas[module.name].safeParse(samples.minimalConfig).success).toBe(true);
      });

      it(`names a missing required field (${samples.requiredField})`, () => {
        const { [samples.requiredField]: _left, ...rest } = samples.minimalConfig;
        const parsed = ciConfigSchemas[module.name].safeParse(rest);
        expect(parsed.success).toBe(false);
        expect(parsed.error?.issues.map((issue) => issue.path[0])).toContain(samples.requiredField);
      });
    });

    describe('webhook receiver', () => {
      it('signs as its receiver verifies: a delivery signed with signedHeadersFor verifies', () => {
        const input = signed(samples.deliveries(nowMs).queued, webhookSecret());
        expect(receiver().signing).toMatchObject({
          signatureHeader: ciReceiverModules[module.name].signing.signatureHeader,
        });
        expect(
          verifyDelivery(receiver().signing, input.headers, input.rawBody, [webhookSecret()], nowMs),
        ).toBe('valid');
      });

      it('refuses a delivery signed with another secret, or with its body changed', () => {
        const delivery = samples.deliveries(nowMs).queued;
        const forged = signed(delivery, `${webhookSecret()}-not`);
        expect(
          verifyDelivery(receiver().signing, forged.headers, forged.rawBody, [webhookSecret()], nowMs),
        ).toBe('mismatch');
        // A token in a header (GitLab's) proves the sender, not the body: its receiver judges the body.
        if (receiver().signing.kind === 'token') return;
        const tampered = { ...signed(delivery, webhookSecret()), rawBody: Buffer.from(`${delivery.body} `) };
        expect(
          verifyDelivery(receiver().signing, tampered.headers, tampered.rawBody, [webhookSecret()], nowMs),
        ).toBe('mismatch');
      });

      it.each<[keyof ReturnType<CiContractSamples['deliveries']>, BuildAction]>([
        ['queued', 'queued'],
        ['started', 'started'],
        ['completed', 'completed'],
      ])('parses its %s delivery into a %s event whose details its record keeps', (kind, action) => {
        const parsed = receiver().parseWebhook(signed(samples.deliveries(nowMs)[kind], webhookSecret()));
        if (parsed.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
        expect(parsed.event).toMatchObject({ source: module.name, action });
        expect(parsed.event.jobKey).not.toBe('');
        expect(parsed.event.details.source).toBe(module.name);
        expect(v.safeParse(module.detailsSchema, parsed.event.details).success).toBe(true);
      });

      const refusedSample = samples.refused;
      it(`refuses a job from an origin it was not told to allow, with a reason it declares (${ciReceiverModules[module.name].refusalReasons.join(', ') || 'none'})`, () => {
        if (!refusedSample) {
          expect(ciReceiverModules[module.name].refusalReasons).toEqual([]);
          return;
        }
        const parsed = receiver().parseWebhook(signed(refusedSample(nowMs), webhookSecret()));
        if (parsed.kind !== 'refused') throw new Error(`expected a refusal, got ${JSON.stringify(parsed)}`);
        expect(ciReceiverModules[module.name].refusalReasons).toContain(parsed.reason);
        expect(parsed.subject).not.toBe('');
      });

      it('parses the same build into the same job key for each of its events', () => {
        const deliveries = samples.deliveries(nowMs);
        const keys = (['queued', 'started', 'completed'] as const).map((kind) => {
          const parsed = receiver().parseWebhook(signed(deliveries[kind], webhookSecret()));
          return parsed.kind === 'event' ? parsed.event.jobKey : parsed.kind;
        });
        expect(new Set(keys).size).toBe(1);
      });
    });

    const startApi = samples.startApi;
    if (startApi) {
      describe('API adapter, against its local stand-in', () => {
        let api: ApiStandIn;
        beforeEach(async () => {
          api = await startApi();
        });
        afterEach(() => api.close());

        const adapter = () => {
          const parsed = ciConfigSchemas[module.name].safeParse(api.config);
          if (!parsed.success) throw new Error(parsed.error.message);
          return (ciApiModules[module.name] as CiApiModule).createAdapter(parsed.data, valueOf);
        };
        const request = (agentName: string): AgentRequest => ({
          requestId: `req-${agentName}`,
          agentName,
          labels: ['linux'],
          details: api.details,
        });

        it('makes an agent and removes it', async () => {
          const ci = adapter();
          expect(ci.name).toBe(module.name);
          const made = request('pitcrew-contract-0001');
          const credentials = await ci.createAgentCredentials(made);
          api.connect?.(made.agentName, credentials);
          expect(api.agentNames()).toContain(made.agentName);
          expect(Object.keys(credentials.secretEnv).length).toBeGreaterThan(0);

          await ci.deregisterAgent({ ...made, externalId: credentials.externalId });
          expect(api.agentNames()).not.toContain(made.agentName);
        });

        it('removes an agent that is already gone without an error', async () => {
          await expect(adapter().deregisterAgent(request('pitcrew-contract-gone'))).resolves.toBeUndefined();
        });

        it('lists a queued job whose webhook was lost as the event its webhook would give', async () => {
          const ci = adapter();
          if (!ci.listQueuedBuilds || !api.queueJob) {
            // Polling is optional, but a CI that polls must show it here.
            expect([ci.listQueuedBuilds, api.queueJob]).toEqual([undefined, undefined]);
            return;
          }
          const before = await ci.listQueuedBuilds();
          const { jobKey } = api.queueJob();
          expect(before.map((event) => event.jobKey)).not.toContain(jobKey);
          const listed = (await ci.listQueuedBuilds()).filter((event) => event.jobKey === jobKey);
          expect(listed).toHaveLength(1);
          expect(listed[0]).toMatchObject({
            source: module.name,
            action: 'queued',
            deliveryId: `poll:${jobKey}`,
          });
          expect(v.safeParse(module.detailsSchema, listed[0]?.details).success).toBe(true);
        });

        if (module.deregistrationDetails) {
          const detailsOf = module.deregistrationDetails.bind(module);
          it('removes an agent by its name alone, as the reaper does once its record is gone', async () => {
            const ci = adapter();
            const made = request('pitcrew-contract-0002');
            api.connect?.(made.agentName, await ci.createAgentCredentials(made));
            await ci.deregisterAgent({ ...made, details: detailsOf(made.agentName) });
            expect(api.agentNames()).not.toContain(made.agentName);
          });
        }
      });
    }
  });
}
