import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = 'valid' | 'missing' | 'malformed' | 'mismatch';

const signaturePattern = /^sha256=([0-9a-f]{64})$/;

/**
 * Checks `sha256=<hex>` against HMAC-SHA256 of the exact raw bytes, as GitHub documents for
 * X-Hub-Signature-256 (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
 * Jenkins and generic use the same scheme with their own header. The comparison is constant-time.
 */
export function verifySignature(rawBody: Buffer, header: string | undefined, secret: string): SignatureCheck {
  if (header === undefined || header === '') return 'missing';
  const match = signaturePattern.exec(header.trim().toLowerCase());
  if (!match?.[1]) return 'malformed';
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'mismatch';
}

/** The header value a sender puts on `body`: what tests, `pitcrew demo` and the docs' snippets use. */
export const signBody = (body: string | Buffer, secret: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
