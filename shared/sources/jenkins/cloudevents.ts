import * as v from '../../schema/valibot';
import { invalidFromIssues, parseJsonBody } from '../parse-json';
import { maxDeliveryIdBytes, type ParsedWebhook, type WebhookInput } from '../types';

/**
 * One CloudEvent received over HTTP in the structured content mode of the HTTP protocol binding
 * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md):
 * the whole event is the JSON body, `Content-Type: application/cloudevents+json`. The Jenkins
 * CloudEvents plugin sends binary mode (attributes in `ce-*` headers) and cannot sign, so it sits
 * behind a signing relay that sends structured mode (docs/jenkins.md).
 */
export interface CloudEvent {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly data: unknown;
}

export type CloudEventRead =
  | { readonly kind: 'cloudevent'; readonly event: CloudEvent }
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly invalid: ParsedWebhook };

const structuredType = 'application/cloudevents+json';
const batchType = 'application/cloudevents-batch+json';
const binaryHeaders = ['ce-specversion', 'ce-id', 'ce-source', 'ce-type'] as const;

const attribute = v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(2000));
// The id is the delivery id: 2,000 characters of several bytes each would pass a DynamoDB key's limit.
const idAttribute = v.pipe(
  attribute,
  v.check(
    (id) => Buffer.byteLength(id) <= maxDeliveryIdBytes,
    `Too big: expected string to have <=${maxDeliveryIdBytes} bytes (UTF-8)`,
  ),
);

/** The JSON event format (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md). */
const structuredSchema = v.object({
  specversion: v.literal('1.0', 'must be "1.0"'),
  id: idAttribute,
  source: attribute,
  type: attribute,
  datacontenttype: v.optional(v.string()),
  data: v.optional(v.unknown()),
  data_base64: v.optional(v.string()),
});

const mediaType = (headers: WebhookInput['headers']): string =>
  (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** Which mode the request uses, if it is a CloudEvent at all (the generic contract is not). */
export function readCloudEvent(input: WebhookInput): CloudEventRead {
  const type = mediaType(input.headers);
  if (type === batchType) {
    return invalid(
      'header content-type',
      'is batched CloudEvents, which Pitcrew does not take: send one event per request',
    );
  }
  if (type === structuredType) return readStructured(input.rawBody);
  // Binary mode puts the type and id in ce-* headers, which no signature covers: a captured body
  // could be replayed under another type. Only structured mode, where the body holds them, is taken.
  const binary = binaryHeaders.find((name) => input.headers[name] !== undefined);
  if (binary !== undefined)
    return invalid(
      `header ${binary}`,
      'is a binary-mode CloudEvent attribute, which the signature does not cover: send structured mode (Content-Type: application/cloudevents+json)',
    );
  return { kind: 'none' };
}

function readStructured(rawBody: Buffer): CloudEventRead {
  const json = parseJsonBody(rawBody);
  if (!json.ok) return { kind: 'invalid', invalid: json.invalid };
  const envelope = v.safeParse(structuredSchema, json.value);
  if (!envelope.success) return { kind: 'invalid', invalid: invalidFromIssues(envelope.issues) };
  const { id, type, source, data, data_base64: base64 } = envelope.output;
  if (data === undefined && base64 !== undefined) {
    const decoded = parseJsonBody(Buffer.from(base64, 'base64'));
    if (!decoded.ok) return invalid('data_base64', 'does not hold JSON');
    return { kind: 'cloudevent', event: { id, type, source, data: decoded.value } };
  }
  return { kind: 'cloudevent', event: { id, type, source, data } };
}

const invalid = (field: string, problem: string): CloudEventRead => ({
  kind: 'invalid',
  invalid: { kind: 'invalid', field, problem },
});
