import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { ConfigError, parseConfig } from '../../../shared/config';

/**
 * A config author's mistakes inside a union (GitHub's auth, a secret reference, a webhook secret)
 * are told at the field that is wrong, or with the forms the setting takes: zod alone says
 * "Invalid input" for the whole union. Each starts from the example config as shipped.
 */
type Config = {
  sources: { github: Record<string, unknown>; jenkins: Record<string, unknown> };
} & Record<string, unknown>;

function problemsAfter(change: (config: Config) => void): string[] {
  const config = parse(readFileSync('infra/pitcrew.example.yaml', 'utf8')) as Config;
  change(config);
  try {
    parseConfig(stringify(config), 'my.yaml');
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map(({ setting, problem }) => `${setting}: ${problem}`);
    throw error;
  }
  return [];
}

const secretForms =
  '{ ssm: <parameter> }, { secretsManager: <secret id>, key?: <field> }, { env: <NAME> }, { file: <path> } or { value: <text> }';

describe('config errors inside a union name the field and the forms', () => {
  it('the example config as shipped has none', () => {
    expect(problemsAfter(() => undefined)).toEqual([]);
  });

  it('a GitHub App field of the wrong type is named at its path', () => {
    const app = { appId: true, privateKey: { ssm: '/pitcrew/{stage}/github/app-key' } };
    expect(problemsAfter((c) => (c.sources.github.auth = { app }))).toEqual([
      "my.yaml: sources.github.auth.app.appId: must be the App's id, such as '123456'",
    ]);
    expect(
      problemsAfter((c) => (c.sources.github.auth = { app: { ...app, appId: '1', installationId: 'abc' } })),
    ).toEqual([
      'my.yaml: sources.github.auth.app.installationId: Invalid input: expected number, received string',
    ]);
  });

  it('a misspelt GitHub App key: the key it lacks is required, and the unknown one named', () => {
    expect(
      problemsAfter((c) => (c.sources.github.auth = { app: { appId: '1', privatekey: { ssm: '/x' } } })),
    ).toEqual([
      `my.yaml: sources.github.auth.app.privateKey: is required: it must be a secret reference: ${secretForms}`,
      'my.yaml: sources.github.auth.app: Unrecognized key: "privatekey"',
    ]);
  });

  it('both a token and an App: the two forms', () => {
    expect(
      problemsAfter(
        (c) =>
          (c.sources.github.auth = { token: { ssm: '/t' }, app: { appId: '1', privateKey: { ssm: '/x' } } }),
      ),
    ).toEqual([
      "my.yaml: sources.github.auth: must be one of { token: <secret reference> } or { app: { appId: '<id, quoted>', privateKey: <secret reference>, installationId?: <number> } }",
    ]);
  });

  it('a secret written in plain, or a reference of no known kind: the forms a reference takes', () => {
    expect(problemsAfter((c) => (c.sources.github.webhookSecret = 'supersecretvalue'))).toEqual([
      `my.yaml: sources.github.webhookSecret: must be a secret reference (${secretForms}), or a list of up to 5 while one is rotated`,
    ]);
    expect(problemsAfter((c) => (c.sources.jenkins.apiToken = { smm: '/x' }))).toEqual([
      `my.yaml: sources.jenkins.apiToken: must be a secret reference: ${secretForms}`,
    ]);
  });

  it('a bad value inside the reference it meant is told there', () => {
    expect(problemsAfter((c) => (c.sources.github.auth = { token: { ssm: 'no spaces allowed' } }))).toEqual([
      'my.yaml: sources.github.auth.token.ssm: must be an SSM parameter name (letters, digits, _ . - /) or ARN',
    ]);
  });

  it('a setting left out is required', () => {
    expect(problemsAfter((c) => delete c.sources.github.repositories)).toEqual([
      'my.yaml: sources.github.repositories: is required (expected array)',
    ]);
  });
});
