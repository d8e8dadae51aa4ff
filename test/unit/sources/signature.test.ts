import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import {
  checkDelivery,
  pitcrewSigning,
  signBody,
  signDelivery,
  tokenSigning,
  verifyDelivery,
  type SigningScheme,
} from '../../../shared/sources';
import { signedHeadersFor } from '../../../shared/sources/signing';
import { githubSigning } from '../../../shared/sources/github';

const nowMs = Date.parse('2026-12-02T10:00:00Z');
const nowSeconds = nowMs / 1000;

describe('the GitHub scheme: X-Hub-Signature-256 over the body', () => {
  // The example GitHub publishes at https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
  const secret = "It's a Secret to Everybody";
  const published = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
  const verify = (body: string, header: string | undefined, secrets = [secret]) =>
    verifyDelivery(githubSigning, { 'x-hub-signature-256': header }, Buffer.from(body), secrets, nowMs);

  it("verifies GitHub's published example", () => {
    expect(verify('Hello, World!', published)).toBe('valid');
    expect(signBody('Hello, World!', secret)).toBe(published);
  });

  it('refuses the example when one byte of the body changes, or under another secret', () => {
    expect(verify('Hello, World?', published)).toBe('mismatch');
    expect(verify('Hello, World!', published, ['another secret'])).toBe('mismatch');
  });

  it('says what is wrong with the header', () => {
    expect(verify('x', undefined)).toBe('missing');
    expect(verify('x', '')).toBe('missing');
    expect(verify('x', 'sha1=abc')).toBe('malformed');
  });
});

describe("Pitcrew's timestamped scheme: HMAC over <timestamp>.<body>", () => {
  const scheme = pitcrewSigning(300);
  const secret = 'jenkins-secret';
  const body = '{"action":"queued","job":{"id":"42","labels":["linux"]}}';
  const verify = (headers: Record<string, string | undefined>, secrets = [secret], at = nowMs) =>
    verifyDelivery(scheme, headers, Buffer.from(body), secrets, at);

  it('signs what the docs say: sha256 of "<unix seconds>.<body>" with the secret', () => {
    const headers = signDelivery(scheme, body, secret, nowMs);
    const expected = createHmac('sha256', secret).update(`${nowSeconds}.${body}`).digest('hex');
    expect(headers).toEqual({
      'x-pitcrew-timestamp': String(nowSeconds),
      'x-pitcrew-signature-256': `sha256=${expected}`,
    });
    expect(verify(headers)).toBe('valid');
  });

  it('refuses a delivery signed over the body alone (the scheme before timestamps)', () => {
    const headers = {
      'x-pitcrew-signature-256': signBody(body, secret),
      'x-pitcrew-timestamp': String(nowSeconds),
    };
    expect(verify(headers)).toBe('mismatch');
  });

  it('refuses a missing or malformed timestamp, naming it', () => {
    const signed = signDelivery(scheme, body, secret, nowMs);
    expect(verify({ ...signed, 'x-pitcrew-timestamp': undefined })).toBe('timestamp missing');
    for (const bad of ['1.5', '-1', 'now', '1e9', '123456789012']) {
      expect(verify({ ...signed, 'x-pitcrew-timestamp': bad })).toBe('timestamp malformed');
    }
  });

  it('refuses a timestamp moved by the sender, even within the window (it is signed)', () => {
    const signed = signDelivery(scheme, body, secret, nowMs);
    expect(verify({ ...signed, 'x-pitcrew-timestamp': String(nowSeconds - 1) })).toBe('mismatch');
  });

  it('accepts the edges of the window and refuses a second beyond, either way', () => {
    for (const offset of [-300, 300]) {
      expect(verify(signDelivery(scheme, body, secret, nowMs + offset * 1000))).toBe('valid');
    }
    for (const offset of [-301, 301, -86_400]) {
      expect(verify(signDelivery(scheme, body, secret, nowMs + offset * 1000))).toBe(
        'outside the allowed window',
      );
    }
  });

  it('accepts any secret of a list (a rotation), and none outside it', () => {
    const fromOld = signDelivery(scheme, body, 'old-secret', nowMs);
    const fromNew = signDelivery(scheme, body, 'new-secret', nowMs);
    expect(verify(fromOld, ['old-secret', 'new-secret'])).toBe('valid');
    expect(verify(fromNew, ['old-secret', 'new-secret'])).toBe('valid');
    expect(verify(fromOld, ['new-secret'])).toBe('mismatch');
    expect(verify(fromNew, [])).toBe('mismatch');
  });

  it('property: a delivery verifies exactly when its body, secret and time are the signed ones', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.array(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 3 }),
        fc.integer({ min: -2000, max: 2000 }),
        fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
        (signedBody, signingSecret, otherSecrets, skewSeconds, tamperedBody) => {
          const headers = signDelivery(scheme, signedBody, signingSecret, nowMs + skewSeconds * 1000);
          const received = tamperedBody ?? signedBody;
          const secrets = [...otherSecrets, signingSecret];
          const result = verifyDelivery(scheme, headers, Buffer.from(received), secrets, nowMs);
          const inWindow = Math.abs(skewSeconds) <= 300;
          if (!inWindow) return result === 'outside the allowed window';
          return received === signedBody ? result === 'valid' : result === 'mismatch';
        },
      ),
    );
  });
});

describe('signedHeadersFor: what the tools sign with, per source', () => {
  it('uses the body scheme for GitHub and the timestamped one for the others', () => {
    const schemes: SigningScheme[] = [];
    for (const source of ['github', 'jenkins', 'generic'] as const) {
      const headers = signedHeadersFor(source, '{}', 's', nowMs);
      schemes.push(source === 'github' ? githubSigning : pitcrewSigning());
      expect(verifyDelivery(schemes.at(-1) as SigningScheme, headers, Buffer.from('{}'), ['s'], nowMs)).toBe(
        'valid',
      );
      expect('x-pitcrew-timestamp' in headers).toBe(source !== 'github');
    }
  });
});

describe('the token scheme: the secret itself in a header (GitLab X-Gitlab-Token)', () => {
  const scheme = tokenSigning('x-gitlab-token');
  const verify = (token: string | undefined, secrets = ['first', 'second']) =>
    checkDelivery(scheme, { 'x-gitlab-token': token }, Buffer.from('{}'), secrets, nowMs);

  it('accepts any configured secret and says which one, whatever the body', () => {
    expect(verify('second')).toEqual({ check: 'valid', secretIndex: 1 });
    expect(signDelivery(scheme, 'any body', 'first', nowMs)).toEqual({ 'x-gitlab-token': 'first' });
  });

  it('refuses a missing, empty, wrong or prefix token', () => {
    expect(verify(undefined).check).toBe('missing');
    expect(verify('').check).toBe('missing');
    expect(verify('firs').check).toBe('mismatch');
    expect(verify('first ').check).toBe('mismatch');
  });
});
