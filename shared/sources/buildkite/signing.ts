import {
  checkTimestamp,
  defaultSignatureToleranceSeconds,
  hmacSha256,
  matchingSecret,
  type SigningScheme,
  tokenSigning,
} from '../signature';

/**
 * How Buildkite proves a webhook (https://buildkite.com/docs/apis/webhooks/pipelines#webhook-signature):
 * `X-Buildkite-Signature: timestamp=<unix seconds>,signature=<hex HMAC-SHA256>`, the HMAC keyed by the
 * webhook's Token over `<timestamp>.<raw body>` (the docs' Ruby example computes
 * `HMAC.hexdigest("sha256", secret, "#{timestamp}.#{body}")`). The timestamp is inside the signed
 * message, so a captured delivery cannot be replayed once the window has passed
 * (https://buildkite.com/docs/apis/webhooks/pipelines#defending-against-replay-attacks).
 * Or, if the webhook is set so, `X-Buildkite-Token: <token>` in clear text
 * (https://buildkite.com/docs/apis/webhooks/pipelines#webhook-token), which proves who sent it but
 * not when: Pitcrew accepts it only when `acceptTokenHeader` says so.
 */
export const buildkiteSignatureHeader = 'x-buildkite-signature';
export const buildkiteTokenHeader = 'x-buildkite-token';

// Unix seconds and 64 hex digits; the docs' parser splits on "," then on the first "=", trimming.
const partPattern = /^\s*(timestamp|signature)=([^,]*)$/;
const hexPattern = /^[0-9a-f]{64}$/;

/** The two parts of an X-Buildkite-Signature header, or undefined when it is not that shape. */
export function parseSignatureHeader(
  header: string,
): { readonly timestamp: string; readonly signature: string } | undefined {
  const parts = new Map<string, string>();
  for (const part of header.split(',')) {
    const match = partPattern.exec(part);
    if (!match?.[1] || match[2] === undefined || parts.has(match[1])) return undefined;
    parts.set(match[1], match[2].trim());
  }
  const timestamp = parts.get('timestamp');
  const signature = parts.get('signature')?.toLowerCase();
  if (timestamp === undefined || signature === undefined || !hexPattern.test(signature)) return undefined;
  return { timestamp, signature };
}

const signedBytes = (timestamp: string, body: Buffer | string): Buffer =>
  Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)]);

/** The signed form alone: what Pitcrew asks for unless told to accept the token form too. */
export const buildkiteSigning = (
  toleranceSeconds: number = defaultSignatureToleranceSeconds,
): SigningScheme => ({
  kind: 'buildkite-signature',
  signatureHeader: buildkiteSignatureHeader,
  // The timestamp travels in the same header, so a 401 about it names that header.
  timestampHeader: buildkiteSignatureHeader,
  toleranceSeconds,
  check(headers, rawBody, secrets, nowMs) {
    const header = headers[buildkiteSignatureHeader];
    if (header === undefined || header === '') return { check: 'missing' };
    if (header.length > 512) return { check: 'malformed' };
    const parsed = parseSignatureHeader(header);
    if (parsed === undefined) return { check: 'malformed' };
    const stamp = checkTimestamp(parsed.timestamp, toleranceSeconds, nowMs);
    if ('problem' in stamp) return { check: stamp.problem };
    return matchingSecret(Buffer.from(parsed.signature, 'hex'), secrets, (secret) =>
      hmacSha256(signedBytes(stamp.timestamp, rawBody), secret),
    );
  },
  sign(body, secret, nowMs) {
    const timestamp = String(Math.floor(nowMs / 1000));
    const signature = hmacSha256(signedBytes(timestamp, body), secret).toString('hex');
    return { [buildkiteSignatureHeader]: `timestamp=${timestamp},signature=${signature}` };
  },
});

const tokenForm = tokenSigning(buildkiteTokenHeader);

/** A delivery in the token form: a token and no signature (with both, the signature is checked). */
const tokenFormOf = (headers: Readonly<Record<string, string | undefined>>): boolean =>
  !hasSignedTimestamp(headers) && headers[buildkiteTokenHeader] !== undefined;

/**
 * The signed form, or the token form when the signature header is absent. A delivery carrying a
 * signature is always judged on it, so a forged signature cannot fall back to a guessed token.
 */
export const buildkiteSignatureOrTokenSigning = (
  toleranceSeconds: number = defaultSignatureToleranceSeconds,
): SigningScheme => {
  const signed = buildkiteSigning(toleranceSeconds);
  return {
    ...signed,
    kind: 'buildkite-signature-or-token',
    check(headers, rawBody, secrets, nowMs) {
      return tokenFormOf(headers)
        ? tokenForm.check(headers, rawBody, secrets, nowMs)
        : signed.check(headers, rawBody, secrets, nowMs);
    },
    provesByHeaders: tokenFormOf,
  };
};

/** Whether a delivery came with the signed form (and so a checked timestamp): the receiver's age rule. */
export const hasSignedTimestamp = (headers: Readonly<Record<string, string | undefined>>): boolean => {
  const header = headers[buildkiteSignatureHeader];
  return header !== undefined && header !== '';
};
