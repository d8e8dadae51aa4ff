import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a source's sender proves a delivery, and how Pitcrew checks it: each CI brings its own scheme
 * (in its folder, from the builders below or its own), so a new scheme touches no shared code.
 * `body`: `sha256=<hex HMAC-SHA256 of the raw body>`, as GitHub documents for X-Hub-Signature-256
 * (GitHub's own payload carries the job's `created_at`, which the GitHub receiver checks instead of a
 * signed timestamp). `timestamped`: Pitcrew's own scheme for Jenkins and generic senders: the HMAC
 * covers `<timestamp>.<body>`, with the Unix seconds in the timestamp header, so a captured delivery
 * cannot be replayed once the window has passed. `token`: the header carries the secret itself (a
 * CI that signs nothing), compared in constant time.
 */
export interface SigningScheme {
  /** A name for the scheme, for logs and tests. */
  readonly kind: string;
  /** The header a 401 names when the proof is missing or wrong. */
  readonly signatureHeader: string;
  /** The header a 401 names when the timestamp is missing, malformed or stale; none if unsigned. */
  readonly timestampHeader?: string;
  /** How far the timestamp may be from now, either way. */
  readonly toleranceSeconds?: number;
  /**
   * Checks the delivery's proof on the exact raw bytes. Any of `secrets` may have signed it (a
   * rotation in progress): all are tried, each in constant time, and the index of the one that
   * signed a valid delivery is given (never its value).
   */
  check(
    headers: Readonly<Record<string, string | undefined>>,
    rawBody: Buffer,
    secrets: readonly string[],
    nowMs: number,
  ): DeliveryCheck;
  /** The headers a sender puts on `body`: what `pitcrew demo`, the bench and the tests sign with. */
  sign(body: string | Buffer, secret: string, nowMs: number): Record<string, string>;
  /**
   * Whether this delivery's proof is in its headers alone (a token), so that checking it costs
   * nothing however large the body: the webhook then checks it before the body's size.
   */
  provesByHeaders?(headers: Readonly<Record<string, string | undefined>>): boolean;
}

export interface DeliveryCheck {
  readonly check: SignatureCheck;
  readonly secretIndex?: number;
}

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

const signaturePattern = /^sha256=([0-9a-f]{64})$/;
// Unix seconds: up to 11 digits covers every date a sender could mean, and no more.
const timestampPattern = /^\d{1,11}$/;

/** HMAC-SHA256 of `bytes` under `secret`. */
export const hmacSha256 = (bytes: Buffer | string, secret: string): Buffer =>
  createHmac('sha256', secret).update(bytes).digest();

/**
 * Which of `secrets` gives `given` as `expected(secret)`: every secret is tried, each compared in
 * constant time, so the time taken does not tell which one matched.
 */
export function matchingSecret(
  given: Buffer,
  secrets: readonly string[],
  expected: (secret: string) => Buffer,
): DeliveryCheck {
  let secretIndex: number | undefined;
  secrets.forEach((secret, index) => {
    const wanted = expected(secret);
    if (given.length === wanted.length && timingSafeEqual(given, wanted)) secretIndex ??= index;
  });
  return secretIndex === undefined ? { check: 'mismatch' } : { check: 'valid', secretIndex };
}

/**
 * The Unix-seconds timestamp of a delivery, checked against `nowMs`: a problem, or the timestamp as
 * sent (the bytes the HMAC covers).
 */
export function checkTimestamp(
  timestamp: string | undefined,
  toleranceSeconds: number,
  nowMs: number,
): { readonly problem: SignatureCheck } | { readonly timestamp: string } {
  const trimmed = timestamp?.trim();
  if (trimmed === undefined || trimmed === '') return { problem: 'timestamp missing' };
  if (!timestampPattern.test(trimmed)) return { problem: 'timestamp malformed' };
  if (Math.abs(nowMs / 1000 - Number(trimmed)) > toleranceSeconds)
    return { problem: 'outside the allowed window' };
  return { timestamp: trimmed };
}

/** The hex HMAC of a `sha256=<hex>` header, or why there is none. */
function hexSignature(
  header: string | undefined,
): { readonly problem: SignatureCheck } | { readonly given: Buffer } {
  if (header === undefined || header === '') return { problem: 'missing' };
  const match = signaturePattern.exec(header.trim().toLowerCase());
  return match?.[1] ? { given: Buffer.from(match[1], 'hex') } : { problem: 'malformed' };
}

/** `sha256=<hex>` over `body` alone: GitHub's X-Hub-Signature-256. */
export const signBody = (body: string | Buffer, secret: string): string =>
  `sha256=${hmacSha256(Buffer.from(body), secret).toString('hex')}`;

/** `sha256=<hex HMAC of the raw body>` in `signatureHeader` (GitHub). */
export const bodyHmacSigning = (signatureHeader: string): SigningScheme => ({
  kind: 'body',
  signatureHeader,
  check(headers, rawBody, secrets) {
    const signature = hexSignature(headers[signatureHeader]);
    if ('problem' in signature) return { check: signature.problem };
    return matchingSecret(signature.given, secrets, (secret) => hmacSha256(rawBody, secret));
  },
  sign: (body, secret) => ({ [signatureHeader]: signBody(body, secret) }),
});

/** The bytes Pitcrew's timestamped scheme signs: `<timestamp>.<body>`. */
const timestampedBytes = (timestamp: string, rawBody: Buffer | string): Buffer =>
  Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(rawBody)]);

/** Pitcrew's scheme (Jenkins and generic senders): `sha256=<hex HMAC of "<timestamp>.<body>">`. */
export const pitcrewSigning = (
  toleranceSeconds: number = defaultSignatureToleranceSeconds,
): SigningScheme => ({
  kind: 'timestamped',
  signatureHeader: pitcrewSignatureHeader,
  timestampHeader: pitcrewTimestampHeader,
  toleranceSeconds,
  check(headers, rawBody, secrets, nowMs) {
    const signature = hexSignature(headers[pitcrewSignatureHeader]);
    if ('problem' in signature) return { check: signature.problem };
    const stamp = checkTimestamp(headers[pitcrewTimestampHeader], toleranceSeconds, nowMs);
    if ('problem' in stamp) return { check: stamp.problem };
    return matchingSecret(signature.given, secrets, (secret) =>
      hmacSha256(timestampedBytes(stamp.timestamp, rawBody), secret),
    );
  },
  sign(body, secret, nowMs) {
    const timestamp = String(Math.floor(nowMs / 1000));
    const signature = hmacSha256(timestampedBytes(timestamp, body), secret).toString('hex');
    return { [pitcrewSignatureHeader]: `sha256=${signature}`, [pitcrewTimestampHeader]: timestamp };
  },
});

/**
 * The secret itself in `tokenHeader`, for a CI that signs nothing (GitLab's X-Gitlab-Token). Both
 * sides are hashed before the constant-time compare, so neither the time nor a length check tells
 * how much of a guess was right. It proves only who sent the delivery, not when: a receiver using it
 * must refuse stale events by their own dates.
 */
export const tokenSigning = (tokenHeader: string): SigningScheme => ({
  kind: 'token',
  signatureHeader: tokenHeader,
  check(headers, _rawBody, secrets) {
    const token = headers[tokenHeader];
    if (token === undefined || token === '') return { check: 'missing' };
    const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
    return matchingSecret(digest(token), secrets, digest);
  },
  sign: (_body, secret) => ({ [tokenHeader]: secret }),
  provesByHeaders: () => true,
});

/** Checks a delivery under its source's scheme (the webhook function's first step). */
export const checkDelivery = (
  scheme: SigningScheme,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: Buffer,
  secrets: readonly string[],
  nowMs: number,
): DeliveryCheck => scheme.check(headers, rawBody, secrets, nowMs);

/** As checkDelivery, the verdict alone. */
export const verifyDelivery = (
  scheme: SigningScheme,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: Buffer,
  secrets: readonly string[],
  nowMs: number,
): SignatureCheck => scheme.check(headers, rawBody, secrets, nowMs).check;

/**
 * The headers a sender puts on `body` under `scheme`: what `pitcrew demo`, `npm run webhook`, the
 * bench and the tests use, and what docs/generic-webhook.md shows in shell.
 */
export const signDelivery = (
  scheme: SigningScheme,
  body: string | Buffer,
  secret: string,
  nowMs: number = Date.now(),
): Record<string, string> => scheme.sign(body, secret, nowMs);
