import { createHmac } from 'node:crypto';
import {
  buildkiteSignatureOrTokenSigning,
  buildkiteSigning,
  parseSignatureHeader,
} from '../../../../shared/sources/buildkite';

const secret = 'buildkite-webhook-token';
const body = Buffer.from('{"event":"ping"}');
const nowMs = Date.parse('2026-03-01T12:00:00Z');
const stamp = String(nowMs / 1000);

/** As the docs' Ruby example: OpenSSL::HMAC.hexdigest("sha256", secret, "#{timestamp}.#{body}"). */
const docsSignature = (timestamp: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body.toString()}`).digest('hex');

describe('Buildkite webhook signing', () => {
  it('verifies X-Buildkite-Signature computed as https://buildkite.com/docs/apis/webhooks/pipelines#webhook-signature describes', () => {
    const headers = { 'x-buildkite-signature': `timestamp=${stamp},signature=${docsSignature(stamp)}` };
    expect(buildkiteSigning().check(headers, body, ['other', secret], nowMs)).toEqual({
      check: 'valid',
      secretIndex: 1,
    });
  });

  it('signs as it verifies', () => {
    const headers = buildkiteSigning().sign(body, secret, nowMs);
    expect(headers['x-buildkite-signature']).toBe(`timestamp=${stamp},signature=${docsSignature(stamp)}`);
  });

  it('refuses a stale timestamp, a changed body, a malformed header and a missing one', () => {
    const old = String(nowMs / 1000 - 301);
    const scheme = buildkiteSigning(300);
    expect(
      scheme.check(
        { 'x-buildkite-signature': `timestamp=${old},signature=${docsSignature(old)}` },
        body,
        [secret],
        nowMs,
      ).check,
    ).toBe('outside the allowed window');
    expect(scheme.check(scheme.sign(body, secret, nowMs), Buffer.from('{}'), [secret], nowMs).check).toBe(
      'mismatch',
    );
    expect(scheme.check({ 'x-buildkite-signature': 'signature=abc' }, body, [secret], nowMs).check).toBe(
      'malformed',
    );
    expect(scheme.check({}, body, [secret], nowMs).check).toBe('missing');
    expect(scheme).toMatchObject({
      signatureHeader: 'x-buildkite-signature',
      timestampHeader: 'x-buildkite-signature',
    });
  });

  it('refuses the token form unless told to accept it, and never lets a bad signature fall back to it', () => {
    expect(buildkiteSigning().check({ 'x-buildkite-token': secret }, body, [secret], nowMs).check).toBe(
      'missing',
    );
    const either = buildkiteSignatureOrTokenSigning();
    expect(either.check({ 'x-buildkite-token': secret }, body, [secret], nowMs).check).toBe('valid');
    expect(either.check({ 'x-buildkite-token': 'guess' }, body, [secret], nowMs).check).toBe('mismatch');
    const forged = {
      'x-buildkite-token': secret,
      'x-buildkite-signature': `timestamp=${stamp},signature=${'0'.repeat(64)}`,
    };
    expect(either.check(forged, body, [secret], nowMs).check).toBe('mismatch');
  });

  it('says a delivery is proved by its headers alone only in the token form, so its size is checked after', () => {
    const either = buildkiteSignatureOrTokenSigning();
    const signedHeader = `timestamp=${stamp},signature=${docsSignature(stamp)}`;
    expect(either.provesByHeaders?.({ 'x-buildkite-token': secret })).toBe(true);
    // With a signature the body is what is proved, token or not; with neither, nothing is.
    expect(
      either.provesByHeaders?.({ 'x-buildkite-token': secret, 'x-buildkite-signature': signedHeader }),
    ).toBe(false);
    expect(either.provesByHeaders?.({})).toBe(false);
    expect(buildkiteSigning().provesByHeaders?.({ 'x-buildkite-token': secret }) ?? false).toBe(false);
  });

  it('parses the header as the docs do: split on commas, then on the first =, trimmed', () => {
    expect(parseSignatureHeader(`timestamp=1, signature=${'A'.repeat(64)}`)).toEqual({
      timestamp: '1',
      signature: 'a'.repeat(64),
    });
    expect(parseSignatureHeader('timestamp=1,timestamp=2,signature=00')).toBeUndefined();
  });
});
