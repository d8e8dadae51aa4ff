import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a source's sender proves a delivery. `body`: `sha256=<hex HMAC-SHA256 of the raw body>`, as
 * GitHub documents for X-Hub-Signature-256 (GitHub's own payload carries the job's `created_at`,
 * which the GitHub receiver checks instead of a signed timestamp). `timestamped`: Pitcrew's own
 * scheme for Jenkins and generic senders: the HMAC covers `<timestamp>.<body>`, with the Unix seconds
 * in the timestamp header, so a captured delivery cannot be replayed once the window has passed.
 */
export type SigningScheme =
  | { readonly kind: 'body'; readonly signatureHeader: string }
  | {
      readonly kind: 'timestamped';
      readonly signatureHeader: string;
      readonly timestampHeader: string;
      /** How far the timestamp may be from now, either way. */
      readonly toleranceSeconds: number;
    };

export type SignatureCheck =
  | 'valid'
  | 'missing'
  | 'malformed'
  | 'mismatch'
  | 'timestamp missing'
  | 'timestamp malformed'
  | 'outside the allowed window';

/** The headers of Pitcrew's own scheme (Jenkins and generic senders). */
export const pitcrewSignatureHeader = 'x-pitcrew-signature-256';
export const pitcrewTimestampHeader = 'x-pitcrew-timestamp';
export const defaultSignatureToleranceSeconds = 300;

export const pitcrewSigning = (
  toleranceSeconds: number = defaultSignatureToleranceSeconds,
): SigningScheme => ({
  kind: 'timestamped',
  signatureHeader: pitcrewSignatureHeader,
  timestampHeader: pitcrewTimestampHeader,
  toleranceSeconds,
});

const signaturePattern = /^sha256=([0-9a-f]{64})$/;
// Unix seconds: up to 11 digits covers every date a sender could mean, and no more.
const timestampPattern = /^\d{1,11}$/;

/** The bytes the HMAC covers under a scheme. */
function signedBytes(rawBody: Buffer, timestamp: string | undefined): Buffer {
  return timestamp === undefined ? rawBody : Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]);
}

const hmac = (bytes: Buffer, secret: string): Buffer => createHmac('sha256', secret).update(bytes).digest();

/**
 * Checks a delivery's signature on the exact raw bytes
 * (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries). Any of
 * `secrets` may have signed it (a rotation in progress); each is compared in constant time and all
 * are tried, so the time taken does not tell which one matched.
 */
export function verifyDelivery(
  scheme: SigningScheme,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: Buffer,
  secrets: readonly string[],
  nowMs: number,
): SignatureCheck {
  return checkDelivery(scheme, headers, rawBody, secrets, nowMs).check;
}

/**
 * As verifyDelivery, and which secret of the list signed a valid delivery (its index, never its
 * value): during a rotation the operator watches the old entry fall silent before removing it.
 */
export function checkDelivery(
  scheme: SigningScheme,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: Buffer,
  secrets: readonly string[],
  nowMs: number,
): { readonly check: SignatureCheck; readonly secretIndex?: number } {
  const header = headers[scheme.signatureHeader];
  if (header === undefined || header === '') return { check: 'missing' };
  const match = signaturePattern.exec(header.trim().toLowerCase());
  if (!match?.[1]) return { check: 'malformed' };
  let timestamp: string | undefined;
  if (scheme.kind === 'timestamped') {
    timestamp = headers[scheme.timestampHeader]?.trim();
    if (timestamp === undefined || timestamp === '') return { check: 'timestamp missing' };
    if (!timestampPattern.test(timestamp)) return { check: 'timestamp malformed' };
    if (Math.abs(nowMs / 1000 - Number(timestamp)) > scheme.toleranceSeconds)
      return { check: 'outside the allowed window' };
  }
  const given = Buffer.from(match[1], 'hex');
  const bytes = signedBytes(rawBody, timestamp);
  let secretIndex: number | undefined;
  secrets.forEach((secret, index) => {
    const expected = hmac(bytes, secret);
    if (given.length === expected.length && timingSafeEqual(given, expected)) secretIndex ??= index;
  });
  return secretIndex === undefined ? { check: 'mismatch' } : { check: 'valid', secretIndex };
}

/** `sha256=<hex>` over `body` alone: GitHub's X-Hub-Signature-256. */
export const signBody = (body: string | Buffer, secret: string): string =>
  `sha256=${hmac(Buffer.from(body), secret).toString('hex')}`;

/**
 * The headers a sender puts on `body` under `scheme`: what `pitcrew demo`, `npm run webhook`, the
 * bench and the tests use, and what docs/generic-webhook.md shows in shell.
 */
export function signDelivery(
  scheme: SigningScheme,
  body: string | Buffer,
  secret: string,
  nowMs: number = Date.now(),
): Record<string, string> {
  if (scheme.kind === 'body') return { [scheme.signatureHeader]: signBody(body, secret) };
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = hmac(signedBytes(Buffer.from(body), timestamp), secret).toString('hex');
  return { [scheme.signatureHeader]: `sha256=${signature}`, [scheme.timestampHeader]: timestamp };
}
