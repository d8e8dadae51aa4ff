import { z } from 'zod';
import { invalidFromZod, parseJsonBody } from '../parse-json';
import type { ParsedWebhook, WebhookInput } from '../types';

/**
 * One CloudEvent received over HTTP, in either content mode of the HTTP protocol binding
 * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md):
 * structured (the whole event is the JSON body, `Content-Type: application/cloudevents+json`) or
 * binary (attributes in `ce-*` headers, the body is the data). The Jenkins CloudEvents plugin sends
 * binary mode (https://plugins.jenkins.io/cloudevents/); a relay may send either.
 */
export interface CloudEvent {
  readonly mode: 'structured' | 'binary';
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
const requiredHeaders = ['ce-specversion', 'ce-id', 'ce-source', 'ce-type'] as const;

const attribute = z.string().min(1, 'is required').max(2000);

/** The JSON event format (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md). */
const structuredSchema = z.object({
  specversion: z.literal('1.0', 'must be "1.0"'),
  id: attribute,
  source: attribute,
  type: attribute,
  datacontenttype: z.string().optional(),
  data: z.unknown().optional(),
  data_base64: z.string().optional(),
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
  if (requiredHeaders.some((name) => input.headers[name] !== undefined)) return readBinary(input);
  return { kind: 'none' };
}

function readStructured(rawBody: Buffer): CloudEventRead {
  const json = parseJsonBody(rawBody);
  if (!json.ok) return { kind: 'invalid', invalid: json.invalid };
  const envelope = structuredSchema.safeParse(json.value);
  if (!envelope.success) return { kind: 'invalid', invalid: invalidFromZod(envelope.error) };
  const { id, type, source, data, data_base64: base64 } = envelope.data;
  if (data === undefined && base64 !== undefined) {
    const decoded = parseJsonBody(Buffer.from(base64, 'base64'));
    if (!decoded.ok) return invalid('data_base64', 'does not hold JSON');
    return { kind: 'cloudevent', event: { mode: 'structured', id, type, source, data: decoded.value } };
  }
  return { kind: 'cloudevent', event: { mode: 'structured', id, type, source, data } };
}

/** Header values are percent-encoded where they leave printable ASCII (binding section 3.1.3.2). */
function headerValue(raw: string): string {
  try {
    return decodeURIComponent(raw).trim();
  } catch {
    return raw.trim();
  }
}

const isJsonMediaType = (type: string): boolean =>
  type === '' || type === 'application/json' || type.endsWith('+json');

function readBinary(input: WebhookInput): CloudEventRead {
  const values: Partial<Record<(typeof requiredHeaders)[number], string>> = {};
  for (const name of requiredHeaders) {
    const value = headerValue(input.headers[name] ?? '');
    if (value === '') return invalid(`header ${name}`, 'is required in a binary-mode CloudEvent');
    values[name] = value;
  }
  if (values['ce-specversion'] !== '1.0') return invalid('header ce-specversion', 'must be "1.0"');
  if (!isJsonMediaType(mediaType(input.headers)))
    return invalid('header content-type', 'must be application/json');
  const json = parseJsonBody(input.rawBody);
  if (!json.ok) return { kind: 'invalid', invalid: json.invalid };
  const event = {
    id: values['ce-id'] ?? '',
    type: values['ce-type'] ?? '',
    source: values['ce-source'] ?? '',
  };
  return { kind: 'cloudevent', event: { mode: 'binary', ...event, data: json.value } };
}

const invalid = (field: string, problem: string): CloudEventRead => ({
  kind: 'invalid',
  invalid: { kind: 'invalid', field, problem },
});
