import { jnlpArguments, secretFromJnlp } from '../../../../shared/sources/jenkins/jnlp';

const secret = 'a'.repeat(32) + '0123456789abcdef0123456789abcdef';
const file = (args: string[]): string =>
  [
    '<jnlp spec="1.0+" codebase="https://ci.example.com/computer/a1/">',
    '<information><title>Agent for a1</title></information>',
    '<application-desc main-class="hudson.remoting.jnlp.Main">',
    ...args.map((arg) => `<argument>${arg}</argument>`),
    '</application-desc></jnlp>',
  ].join('\n');

describe('secretFromJnlp', () => {
  it('takes the first argument as the secret when the second is the agent', () => {
    expect(
      secretFromJnlp(file([secret, 'a1', '-webSocket', '-url', 'https://ci.example.com/']), 'a1'),
    ).toEqual({ ok: true, secret });
  });

  it('decodes XML entities in the arguments', () => {
    expect(jnlpArguments(file(['x', 'a&amp;b', '&#8216;q&#x2019;']))).toEqual(['x', 'a&b', '‘q’']);
  });

  it('refuses a file for another agent, without a secret, or that is no JNLP file at all', () => {
    expect(secretFromJnlp(file([secret, 'a2']), 'a1')).toEqual({
      ok: false,
      problem: 'the JNLP file is for another agent',
    });
    expect(secretFromJnlp(file(['-url', 'a1']), 'a1')).toEqual({
      ok: false,
      problem: 'the JNLP file holds no agent secret',
    });
    const login = '<html><body><form action="/login">Sign in</form></body></html>';
    expect(secretFromJnlp(login, 'a1')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('not a JNLP file'),
    });
  });
});
