import { execFileSync } from 'node:child_process';
import { tryWebhookLines } from '../../../infra/local/dev/try-webhook';
import { pitcrewSigning } from '../../../shared/sources/signature';
import { parseGenericWebhook } from '../../../shared/sources/generic/webhook';

/**
 * The lines `pitcrew dev` prints to send a build by hand must make a delivery the generic receiver
 * takes: run them in bash, with `curl` replaced by a function that prints what it was given.
 */
function runPrinted(lines: string[]): { headers: Record<string, string>; body: string } {
  const script = ['curl() { printf \'%s\\0\' "$@"; }', ...lines].join('\n');
  const args = execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\0').slice(0, -1);
  const headers: Record<string, string> = {};
  let body = '';
  for (let index = 0; index < args.length; index++) {
    if (args[index] === '-H') {
      const [name, ...value] = (args[++index] ?? '').split(': ');
      headers[name!.toLowerCase()] = value.join(': ');
    } else if (args[index] === '-d') body = args[++index] ?? '';
  }
  return { headers, body };
}

describe("pitcrew dev's webhook by hand", () => {
  const secret = 'a-local-secret';

  it('is signed as the generic receiver checks, timestamp included, and parses as a queued build', () => {
    const { headers, body } = runPrinted(tryWebhookLines('http://127.0.0.1:1/webhooks/generic', secret));
    const signing = pitcrewSigning();
    expect(signing.check(headers, Buffer.from(body), [secret], Date.now())).toEqual({
      check: 'valid',
      secretIndex: 0,
    });
    expect(signing.check(headers, Buffer.from(body), ['another-secret'], Date.now()).check).toBe('mismatch');
    expect(parseGenericWebhook({ headers, rawBody: Buffer.from(body) })).toMatchObject({
      kind: 'event',
      event: { action: 'queued', deliveryId: 'try-1' },
    });
  });
});
