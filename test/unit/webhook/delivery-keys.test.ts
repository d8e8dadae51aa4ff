import type { PitcrewConfig } from '../../../shared/config';
import type { ProvisionQueue } from '../../../shared/ports';
import { silentLogger } from '../../../shared/ports/logger';
import { createWebhookRegistry } from '../../../shared/runtime/sources';
import { ciConfigSchemas } from '../../../shared/sources/config-registry';
import { ciSources, type CiSource } from '../../../shared/sources/names';
import { signedHeadersFor } from '../../../shared/sources/signing';
import { maxDeliveryIdBytes } from '../../../shared/sources/types';
import type { DeliveryStore, RequestStore } from '../../../shared/state';
import { keys } from '../../../shared/state/keys';
import { receiveWebhook, type WebhookPorts } from '../../../shared/webhook';
import type { SampleDelivery } from '../../contracts/ci-source';
import { buildkiteContractSamples } from '../sources/buildkite/contract-samples';
import { genericContractSamples } from '../sources/generic/contract-samples';
import { githubContractSamples } from '../sources/github/contract-samples';
import { gitlabContractSamples } from '../sources/gitlab/contract-samples';
import { jenkinsContractSamples } from '../sources/jenkins/contract-samples';

/**
 * The delivery id is the one part of a delivery that becomes part of a DynamoDB key (the marker's,
 * `delivery#<source>#<id>#<digest>`; a job key is hashed into the request id). DynamoDB refuses a
 * key over 2,048 bytes, which the state layer reports as unavailable: a 503 at every retry. So every
 * source takes the longest id its schema admits, in the widest characters, within the limit, and
 * refuses a longer one with 400 naming the field, before anything is read or written.
 */
const nowMs = Date.parse('2026-03-01T12:00:00Z');
const dynamoDbKeyLimitBytes = 2048;
const wide = '😀'; // 4 bytes of UTF-8, one code point: what a length in characters counts least

const samples = {
  github: githubContractSamples,
  jenkins: jenkinsContractSamples,
  generic: genericContractSamples,
  buildkite: buildkiteContractSamples,
  gitlab: gitlabContractSamples,
} as const;

const sources = Object.fromEntries(
  ciSources.map((source) => [source, ciConfigSchemas[source].parse(samples[source].minimalConfig)]),
) as PitcrewConfig['sources'];
const secretOf = (ref: { value?: string }): string => ref.value ?? '';
const webhooks = createWebhookRegistry(sources, secretOf as never, () => nowMs);

/** Ports that record the partition key of every item read or written, and write nothing. */
function recordingPorts() {
  const touched: string[] = [];
  const deliveries = {
    seen: async (source: string, id: string) => (touched.push(keys.delivery(source, id).pk), false),
    remember: async (source: string, id: string) => (touched.push(keys.delivery(source, id).pk), 'new'),
  } as unknown as DeliveryStore;
  const requests = {
    createIfAbsent: async (record: { requestId: string }) => (
      touched.push(keys.request(record.requestId).pk),
      { created: true }
    ),
    end: async (record: { requestId: string }) => (
      touched.push(keys.request(record.requestId).pk),
      { kind: 'tombstoned' }
    ),
  } as unknown as RequestStore;
  const ports: WebhookPorts = {
    webhooks,
    backlog: { isFull: async () => false, admitted: () => undefined },
    templates: [],
    requests,
    deliveries,
    queue: { send: async () => undefined } as unknown as ProvisionQueue,
    logger: silentLogger,
    now: () => new Date(nowMs),
  };
  return { ports, touched };
}

const secretOfSource = (source: CiSource): string =>
  secretOf([samples[source].minimalConfig.webhookSecret].flat()[0] as { value: string });

const signed = (source: CiSource, delivery: SampleDelivery) => ({
  source,
  headers: { ...delivery.headers, ...signedHeadersFor(source, delivery.body, secretOfSource(source), nowMs) },
  rawBody: Buffer.from(delivery.body),
});

const queuedOf = (source: CiSource): SampleDelivery => samples[source].deliveries(nowMs).queued;
const withHeader = (source: CiSource, header: string, id: string): SampleDelivery => {
  const sample = queuedOf(source);
  return { ...sample, headers: { ...sample.headers, [header]: id } };
};
const withJson = (source: CiSource, change: (body: Record<string, unknown>) => void): SampleDelivery => {
  const sample = queuedOf(source);
  const body = JSON.parse(sample.body) as Record<string, unknown>;
  change(body);
  return { ...sample, body: JSON.stringify(body) };
};

/** A Jenkins CloudEvent in structured mode, as the signing relay of docs/jenkins.md sends one. */
const cloudEvent = (id: string): SampleDelivery => ({
  headers: { 'content-type': 'application/cloudevents+json' },
  body: JSON.stringify({
    specversion: '1.0',
    id,
    type: 'org.jenkinsci.queue.entered_waiting',
    source: 'job/app',
    data: {
      jenkinsQueueId: 7,
      ciUrl: 'https://jenkins.example.com/',
      queueCauses: [{ reasonForWaiting: 'Waiting for next available executor on ‘linux’' }],
    },
  }),
});

const buildkiteJobId = (id: string) =>
  withJson('buildkite', (body) => {
    (body.job as Record<string, unknown>).id = id;
  });

interface Case {
  readonly source: CiSource;
  /** The field that carries the delivery id, as a 400 names it. */
  readonly field: string;
  /** The longest ids the schema admits, written in the characters that take the most bytes. */
  readonly longest: readonly SampleDelivery[];
  readonly tooLong: SampleDelivery;
}

/** A delivery id sent in a header, which its schema holds to 200 characters. */
const headerCase = (source: Case['source'], header: string): Case => ({
  source,
  field: `header ${header}`,
  longest: [withHeader(source, header, wide.repeat(200))],
  tooLong: withHeader(source, header, wide.repeat(201)),
});

const cases: readonly Case[] = [
  headerCase('github', 'x-github-delivery'),
  headerCase('gitlab', 'x-gitlab-event-uuid'),
  headerCase('generic', 'x-pitcrew-delivery'),
  headerCase('jenkins', 'x-pitcrew-delivery'),
  {
    // The CloudEvent id may be 2,000 characters: as many ASCII ones as before, not 8,000 bytes.
    source: 'jenkins',
    field: 'id',
    longest: [cloudEvent('a'.repeat(2000)), cloudEvent(wide.repeat(maxDeliveryIdBytes / 4))],
    tooLong: cloudEvent(wide.repeat(2000)),
  },
  {
    // Buildkite sends no delivery id: it is `<event>:<job id>`, and a job id is a UUID.
    source: 'buildkite',
    field: 'job.id',
    longest: [buildkiteJobId('a'.repeat(64))],
    tooLong: buildkiteJobId('a'.repeat(65)),
  },
];

describe('delivery keys stay within DynamoDB key limit', () => {
  it('every source is covered', () => {
    expect(new Set(cases.map((entry) => entry.source))).toEqual(new Set(ciSources));
  });

  it.each(cases.map((entry) => [entry.source, entry.field, entry] as const))(
    '%s: the longest id in %s is keyed within 2,048 bytes',
    async (source, _field, { longest }) => {
      for (const delivery of longest) {
        const { ports, touched } = recordingPorts();
        const outcome = await receiveWebhook(signed(source, delivery), ports);
        expect(outcome).toMatchObject({ kind: 'ignored' });
        expect(touched.length).toBeGreaterThan(0);
        for (const pk of touched) expect(Buffer.byteLength(pk)).toBeLessThanOrEqual(dynamoDbKeyLimitBytes);
      }
    },
  );

  it.each(cases.map((entry) => [entry.source, entry.field, entry] as const))(
    '%s: a longer id in %s is refused with 400 naming it, and nothing is read or written',
    async (source, field, { tooLong }) => {
      const { ports, touched } = recordingPorts();
      expect(await receiveWebhook(signed(source, tooLong), ports)).toMatchObject({ kind: 'invalid', field });
      expect(touched).toEqual([]);
    },
  );

  it('holds any receiver to the limit: an id over it from a parser is refused, not stored', async () => {
    const { ports, touched } = recordingPorts();
    const generic = webhooks.generic!;
    const longId = 'é'.repeat(maxDeliveryIdBytes / 2 + 1);
    const lax = {
      ...ports,
      webhooks: {
        generic: {
          ...generic,
          receiver: {
            ...generic.receiver,
            parseWebhook: (input: Parameters<typeof generic.receiver.parseWebhook>[0]) => {
              const parsed = generic.receiver.parseWebhook(input);
              return parsed.kind === 'event'
                ? { ...parsed, event: { ...parsed.event, deliveryId: longId } }
                : parsed;
            },
          },
        },
      },
    };
    expect(await receiveWebhook(signed('generic', queuedOf('generic')), lax)).toEqual({
      kind: 'invalid',
      field: 'delivery id',
      problem: `is over ${maxDeliveryIdBytes} bytes (UTF-8)`,
    });
    expect(touched).toEqual([]);
  });

  it.each(ciSources)('the id budget leaves room for the key around it (%s)', (source) => {
    const dedupeKey = `${wide.repeat(maxDeliveryIdBytes / 4)}#${'f'.repeat(16)}`;
    expect(Buffer.byteLength(keys.delivery(source, dedupeKey).pk)).toBeLessThanOrEqual(dynamoDbKeyLimitBytes);
  });
});
