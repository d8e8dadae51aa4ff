import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ciSources, isCiSource, type CiSource } from '../../../shared/sources';
import { signedHeadersFor, signingSchemeOf } from '../../../shared/sources/signing';
import { localCiOf } from '../../../infra/local/stand-ins/local-cis';
import { startAwsFaultProxy, type AwsFaultProxy } from '../../../infra/local/stand-ins/aws-fault-proxy';
import { deliveryFor, type BuildAction } from '../../../infra/local/stand-ins/builds';
import { requiredTestEnv } from '../../support/env';
import { setPath } from '../../support/set-path';
import {
  startProvisioningSystem,
  testSecrets,
  webhookSecretOf,
  type ProvisioningSystem,
} from '../../support/provisioning';

/**
 * Property-based tests over the real webhook handler for each source: bodies, headers and signatures
 * generated at random and by mutating valid deliveries. Whatever comes in: never a 5xx (with healthy
 * servers), never a write to DynamoDB or a message to SQS when the answer is a refusal, and every
 * refusal names the problem. DynamoDB and SQS are reached through recording proxies, so "nothing
 * written" is what went over the wire during that one call.
 */
type Source = CiSource;
const writes =
  /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem|SendMessage|SendMessageBatch)$/;
const signatureHeader = (source: Source): string => signingSchemeOf(source).signatureHeader;
/** Each source takes a list of two secrets (a rotation in progress): either verifies. */
const nextSecret = (source: Source): string => `${webhookSecretOf(source)}-next`;

interface Attempt {
  readonly source: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** Strings that have broken parsers elsewhere: deep nesting, huge, control and odd unicode. */
const nasty = fc.oneof(
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '../../etc/passwd',
      '${jndi:ldap://x}',
      '{{.}}',
      'linux && !linux',
      '‘linux’',
      '__proto__',
      `${'('.repeat(6000)}linux${')'.repeat(6000)}`,
      `Waiting for next available executor on ‘${'('.repeat(6000)}linux${')'.repeat(6000)}’`,
      'x'.repeat(70_000),
      'x'.repeat(600_000),
    ),
  },
);

/** The string fields of each source's deliveries that reach parsers (labels, why texts, names, URLs): its kit's. */
const stringFields = (source: Source): (readonly string[])[] => [...localCiOf(source).stringFields];

const jsonish = fc.oneof(
  nasty,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Replaces, deletes or adds a value at a random place in a JSON value. */
function mutateJson(
  value: unknown,
  path: number[],
  replacement: unknown,
  mode: 'set' | 'delete' | 'add',
): unknown {
  if (typeof value !== 'object' || value === null) return mode === 'delete' ? undefined : replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (entries.length === 0 || path.length === 0) {
    if (mode === 'add' && !Array.isArray(value)) return { ...value, extra: replacement };
    return mode === 'delete' ? undefined : replacement;
  }
  const [key, child] = entries[path[0]! % entries.length]!;
  const next =
    path.length === 1
      ? mode === 'delete'
        ? undefined
        : mode === 'add'
          ? mutateJson(child, [], replacement, 'add')
          : replacement
      : mutateJson(child, path.slice(1), replacement, mode);
  if (Array.isArray(value))
    return value
      .map((item, index) => (String(index) === key ? next : item))
      .filter((item) => item !== undefined);
  const copy: Record<string, unknown> = { ...value };
  if (next === undefined) delete copy[key];
  else copy[key] = next;
  return copy;
}

/**
 * The CloudEvents fixtures as the signing relay of docs/jenkins.md forwards them: structured mode
 * (binary mode's ce-* headers are outside the signature and refused; a header mutation adds them).
 */
const jenkinsFixtures = [
  'cloudevent-entered-waiting-binary',
  'cloudevent-entered-waiting-structured',
  'cloudevent-job-completed-binary',
].map((name) => {
  const { headers, body } = JSON.parse(
    readFileSync(join(process.cwd(), 'test/fixtures/jenkins', `${name}.json`), 'utf8'),
  ) as { headers: Record<string, string>; body: unknown };
  if (headers['ce-type'] === undefined) return { headers, body };
  const event = {
    specversion: headers['ce-specversion'],
    id: headers['ce-id'],
    type: headers['ce-type'],
    source: headers['ce-source'],
    data: body,
  };
  return { headers: { 'content-type': 'application/cloudevents+json' }, body: event };
});

/** Changes that leave a delivery well-formed but refused by its CI's trust policy (docs/security.md): its kit's. */
const untrustedChanges = (source: Source) => localCiOf(source).untrustedChanges;

/** A valid delivery of `source` to start from: every action, and for Jenkins also CloudEvents. */
function validDelivery(
  source: Source,
  action: BuildAction,
  id: number,
  fixture: number,
): { body: unknown; headers: Record<string, string> } {
  if (source === 'jenkins' && fixture < jenkinsFixtures.length) {
    const { headers, body } = jenkinsFixtures[fixture]!;
    const withId = 'specversion' in (body as object) ? { ...(body as object), id: `ce-${id}` } : body;
    return { body: withId, headers };
  }
  const delivery = deliveryFor({ source, id }, action);
  return { body: delivery.body, headers: { 'content-type': 'application/json', ...delivery.headers } };
}

function attemptFor(source: Source) {
  return fc
    .record({
      action: fc.constantFrom<BuildAction>('queued', 'started', 'completed', 'cancelled'),
      id: fc.integer({ min: 1, max: 1_000_000 }),
      fixture: fc.integer({ min: 0, max: 5 }),
      bodyMutation: fc.oneof(
        { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
        fc.record({
          kind: fc.constant('json' as const),
          path: fc.array(fc.nat(), { maxLength: 4 }),
          value: jsonish,
          mode: fc.constantFrom<'set' | 'delete' | 'add'>('set', 'delete', 'add'),
        }),
        fc.record({
          kind: fc.constant('bytes' as const),
          at: fc.nat(),
          cut: fc.boolean(),
          insert: fc.string({ maxLength: 8 }),
        }),
        fc.record({ kind: fc.constant('raw' as const), text: nasty }),
        // Well-formed deliveries the operator did not allow (its CI's trust policy; none for some).
        ...(untrustedChanges(source).length > 0
          ? [
              {
                weight: 2,
                arbitrary: fc.record({
                  kind: fc.constant('untrusted' as const),
                  change: fc.nat({ max: untrustedChanges(source).length - 1 }),
                }),
              },
            ]
          : []),
        {
          weight: 4,
          arbitrary: fc.record({
            kind: fc.constant('field' as const),
            field: fc.constantFrom(...stringFields(source)),
            value: nasty,
          }),
        },
      ),
      headerMutation: fc.oneof(
        fc.constant(undefined),
        fc.record({
          name: fc.constantFrom(
            'content-type',
            'x-pitcrew-delivery',
            'x-github-delivery',
            'x-github-event',
            'ce-type',
            'ce-id',
            'ce-specversion',
            'ce-source',
            'x-anything',
          ),
          value: fc.option(nasty, { nil: undefined }),
        }),
      ),
      signature: fc.constantFrom(
        'valid',
        'valid',
        'valid',
        'next-secret',
        'missing',
        'garbage',
        'stale',
        'other-secret',
        'uppercase',
        'old-timestamp',
        'future-timestamp',
        'no-timestamp',
        'moved-timestamp',
      ),
    })
    .map(({ action, id, fixture, bodyMutation, headerMutation, signature }): Attempt => {
      const valid = validDelivery(source, action, id, fixture);
      const original = JSON.stringify(valid.body);
      let body = original;
      if (bodyMutation.kind === 'json')
        body =
          JSON.stringify(mutateJson(valid.body, bodyMutation.path, bodyMutation.value, bodyMutation.mode)) ??
          '';
      if (bodyMutation.kind === 'bytes') {
        const at = bodyMutation.at % Math.max(1, body.length);
        body = bodyMutation.cut
          ? body.slice(0, at)
          : `${body.slice(0, at)}${bodyMutation.insert}${body.slice(at)}`;
      }
      if (bodyMutation.kind === 'raw') body = bodyMutation.text;
      if (bodyMutation.kind === 'field')
        body = JSON.stringify(setPath(valid.body, bodyMutation.field, bodyMutation.value));
      const untrusted =
        untrustedChanges(source)[bodyMutation.kind === 'untrusted' ? bodyMutation.change : -1];
      if (untrusted) {
        const [path, value] = untrusted;
        // As a queued job: visibility and age are judged only where an agent would be made.
        const queued = localCiOf(source).delivery(id, 'queued').body;
        body = JSON.stringify(setPath(queued, [...path], value));
      }
      const headers = { ...valid.headers };
      if (headerMutation) {
        if (headerMutation.value === undefined) delete headers[headerMutation.name];
        else headers[headerMutation.name] = headerMutation.value;
      }
      const secret: string = webhookSecretOf(source);
      const now = Date.now();
      const sign = (text: string, key = secret, atMs = now) => signedHeadersFor(source, text, key, atMs);
      const header = signatureHeader(source);
      const signed = sign(body);
      const without = (signed: Record<string, string>, name: string) =>
        Object.fromEntries(Object.entries(signed).filter(([key]) => key !== name));
      const signatures: Record<string, Record<string, string>> = {
        valid: signed,
        'next-secret': sign(body, nextSecret(source)),
        missing: without(signed, header),
        garbage: { ...signed, [header]: `sha256=${'ab'.repeat(32)}` },
        stale: sign(original),
        'other-secret': sign(body, 'not-the-secret'),
        uppercase: { ...signed, [header]: String(signed[header]).toUpperCase() },
        // GitHub's signature has no timestamp: these are valid there (its payload's created_at is judged).
        'old-timestamp': sign(body, secret, now - 10 * 60_000),
        'future-timestamp': sign(body, secret, now + 10 * 60_000),
        'no-timestamp': without(signed, 'x-pitcrew-timestamp'),
        'moved-timestamp':
          signed['x-pitcrew-timestamp'] === undefined
            ? signed
            : { ...signed, 'x-pitcrew-timestamp': String(Number(signed['x-pitcrew-timestamp']) - 1) },
      };
      return { source, body, headers: { ...headers, ...signatures[signature] } };
    });
}

describe('the webhook handler under random and mutated input', () => {
  let dynamo: AwsFaultProxy;
  let sqs: AwsFaultProxy;
  let system: ProvisioningSystem;
  beforeAll(async () => {
    dynamo = await startAwsFaultProxy(requiredTestEnv('dynamoDbEndpoint'));
    sqs = await startAwsFaultProxy(requiredTestEnv('sqsEndpoint'));
    const secrets = (source: Source) => ({
      webhookSecret: [{ value: webhookSecretOf(source) }, { value: nextSecret(source) }],
    });
    system = await startProvisioningSystem({
      dynamoDbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqs.endpoint,
      sourceSettings: Object.fromEntries(ciSources.map((source) => [source, secrets(source)])),
    });
  });
  afterAll(async () => {
    await system?.close();
    await Promise.all([dynamo?.close(), sqs?.close()]);
  });

  const outcomes: Record<string, number> = {};
  const refusals: Record<string, number> = {};

  /** Sends one attempt (already signed as it should be: 'none' keeps the headers as they are). */
  async function check(attempt: Attempt): Promise<void> {
    const before = dynamo.calls.length + sqs.calls.length;
    const answer = await system.sendWebhook(attempt.source, attempt.body, attempt.headers, 'none');
    const during = [...dynamo.calls, ...sqs.calls].slice(before).map((call) => call.operation);
    outcomes[answer.statusCode] = (outcomes[answer.statusCode] ?? 0) + 1;
    const seen = { status: answer.statusCode, body: answer.body };
    expect({ ...seen, fault: answer.statusCode >= 500 }).toEqual({ ...seen, fault: false });
    // A job the operator did not allow is answered 200 with its refusal, and writes nothing either.
    if (answer.body.refusal !== undefined) {
      refusals[String(answer.body.refusal)] = (refusals[String(answer.body.refusal)] ?? 0) + 1;
      expect(during.filter((operation) => writes.test(operation))).toEqual([]);
    }
    if (answer.statusCode >= 400) {
      expect(typeof answer.body.error).toBe('string');
      expect(String(answer.body.error).length).toBeGreaterThan(5);
      if (answer.statusCode === 400) expect(typeof answer.body.field).toBe('string');
      expect(during.filter((operation) => writes.test(operation))).toEqual([]);
    }
  }

  it.each([...ciSources])('%s: no 5xx, no write on refusal, every refusal named', async (source) => {
    await fc.assert(
      fc.asyncProperty(attemptFor(source), (attempt) => check(attempt)),
      { numRuns: 200, seed: 42 },
    );
  });

  it('jenkins: a why text naming a label expression nested thousands deep is refused, not a crash', async () => {
    const { headers, body } = jenkinsFixtures[1]!;
    const deep = `Waiting for next available executor on ‘${'('.repeat(6000)}linux${')'.repeat(6000)}’`;
    const text = JSON.stringify(setPath(body, ['data', 'why'], deep));
    await check({
      source: 'jenkins',
      body: text,
      headers: { ...headers, ...signedHeadersFor('jenkins', text, testSecrets.jenkins) },
    });
  });

  it.each([
    [
      'a label expression of 20,000 labels',
      `Waiting for next available executor on ‘${'linux && '.repeat(20_000)}x’`,
    ],
    // A cause the pattern tries at every split and never matches: time quadratic in its length.
    ['a cause of 40,000 spaces that never matches', `All nodes of label a${' '.repeat(40_000)}b`],
  ])('jenkins: a why text naming %s is refused or ignored, not a crash', async (_case, why) => {
    const { headers, body } = jenkinsFixtures[1]!;
    const text = JSON.stringify(setPath(body, ['data', 'why'], why));
    await check({
      source: 'jenkins',
      body: text,
      headers: { ...headers, ...signedHeadersFor('jenkins', text, testSecrets.jenkins) },
    });
  });

  it('any source name and any body: a 404 naming the known sources, and nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 20 }).filter((name) => !isCiSource(name)),
        nasty,
        async (source, body) => check({ source, body, headers: { 'content-type': 'application/json' } }),
      ),
      { numRuns: 40, seed: 42 },
    );
  });

  it('saw refusals and acceptances of every kind (so the properties were exercised)', () => {
    for (const status of ['200', '202', '400', '401', '404', '413', '415'])
      expect({ status, seen: (outcomes[status] ?? 0) > 0 }).toEqual({ status, seen: true });
    for (const reason of ['repository-not-allowed', 'public-repository', 'job-too-old'])
      expect({ reason, seen: (refusals[reason] ?? 0) > 0 }).toEqual({ reason, seen: true });
  });
});
