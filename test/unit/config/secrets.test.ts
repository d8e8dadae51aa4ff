import {
  ConfigError,
  createSecretResolver,
  resolveSecrets,
  SecretReadError,
  type SecretReader,
  type SecretReadOptions,
} from '../../../shared/config';

/** A secret store in memory that records each read. */
function memoryReader(parameters: Record<string, string>, secrets: Record<string, string> = {}) {
  const reads: { kind: 'parameter' | 'secret'; name: string; options: SecretReadOptions }[] = [];
  const reader: SecretReader = {
    async parameter(name, options) {
      reads.push({ kind: 'parameter', name, options });
      const value = parameters[name];
      if (value === undefined) throw new SecretReadError('ParameterNotFound', 'not-found');
      return value;
    },
    async secret(name, options) {
      reads.push({ kind: 'secret', name, options });
      const value = secrets[name];
      if (value === undefined) throw new SecretReadError('ResourceNotFoundException', 'not-found');
      return value;
    },
  };
  return { reader, reads };
}

describe('secret resolver', () => {
  it('reads SSM parameters with the stage put into the name, and passes the max age on', async () => {
    const { reader, reads } = memoryReader({ '/pitcrew/prod/github/webhook-secret': 'gh-secret\n' });
    const resolver = createSecretResolver({ env: {}, stage: 'prod', reader, maxAgeSeconds: 300 });
    await expect(resolver.resolve({ ssm: '/pitcrew/{stage}/github/webhook-secret' }, 'x')).resolves.toBe(
      'gh-secret',
    );
    expect(reads).toEqual([
      {
        kind: 'parameter',
        name: '/pitcrew/prod/github/webhook-secret',
        options: { maxAgeSeconds: 300, forceFetch: false },
      },
    ]);
  });

  it('picks one key of a JSON secret, and asks past the cache when told to', async () => {
    const { reader, reads } = memoryReader(
      {},
      { 'pitcrew/dev/github-app': JSON.stringify({ privateKey: '-----BEGIN KEY-----', appId: '1' }) },
    );
    const resolver = createSecretResolver({ env: {}, stage: 'dev', reader, maxAgeSeconds: 60 });
    const ref = { secretsManager: 'pitcrew/{stage}/github-app', key: 'privateKey' };
    await expect(resolver.resolve(ref, 'x', { forceFetch: true })).resolves.toBe('-----BEGIN KEY-----');
    expect(reads[0]?.options.forceFetch).toBe(true);
  });

  it('names the config key and the secret, never the value, when a secret is missing or unreadable', async () => {
    const { reader } = memoryReader({}, { plain: 'not json', json: JSON.stringify({ other: 'top-secret' }) });
    const resolver = createSecretResolver({ env: {}, stage: 'prod', reader, maxAgeSeconds: 0 });
    const messageOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (error: unknown) =>
          error instanceof ConfigError ? error.message : `not a ConfigError: ${String(error)}`,
      );
    expect(
      await messageOf(resolver.resolve({ ssm: '/pitcrew/{stage}/x' }, 'sources.generic.webhookSecret')),
    ).toMatch(/sources.generic.webhookSecret: SSM parameter '\/pitcrew\/prod\/x' does not exist/);
    expect(await messageOf(resolver.resolve({ secretsManager: 'plain', key: 'k' }, 'a'))).toMatch(
      /a: Secrets Manager secret 'plain' is not JSON/,
    );
    const missingKey = await messageOf(resolver.resolve({ secretsManager: 'json', key: 'token' }, 'b'));
    expect(missingKey).toMatch(/b: Secrets Manager secret 'json' has no non-empty string at key 'token'/);
    expect(missingKey).not.toContain('top-secret');
  });

  it('says what to do when the role may not read a parameter', async () => {
    const reader: SecretReader = {
      parameter: async () => {
        throw new SecretReadError('User is not authorized', 'denied');
      },
      secret: async () => 'unused',
    };
    const resolver = createSecretResolver({ env: {}, stage: 'prod', reader, maxAgeSeconds: 0 });
    await expect(resolver.resolve({ ssm: '/x' }, 'sources.jenkins.apiToken')).rejects.toThrow(
      /sources.jenkins.apiToken: SSM parameter '\/x' may not be read by this function's role \(build with this config and deploy again/,
    );
  });

  it('refuses SSM references where no AWS access is configured', async () => {
    const resolver = createSecretResolver({ env: {}, stage: 'local', maxAgeSeconds: 0 });
    await expect(resolver.resolve({ ssm: '/x' }, 'k')).rejects.toThrow(/no AWS access configured/);
  });
});

describe('resolveSecrets', () => {
  it('reports every bad reference in one ConfigError', async () => {
    const { reader } = memoryReader({ '/ok': 'value' });
    const resolver = createSecretResolver({ env: {}, stage: 'prod', reader, maxAgeSeconds: 0 });
    const failure = await resolveSecrets(resolver, [
      { where: 'sources.github.webhookSecret', ref: { ssm: '/ok' } },
      { where: 'sources.jenkins.webhookSecret', ref: { ssm: '/missing' } },
      { where: 'sources.jenkins.apiToken', ref: { env: 'UNSET_VARIABLE' } },
    ]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems.map((problem) => problem.setting)).toEqual([
      'sources.jenkins.webhookSecret',
      'sources.jenkins.apiToken',
    ]);
  });

  it('rethrows a transient read failure as it is (a retry may fix it; the config is not wrong)', async () => {
    const throttled = new SecretReadError('Rate exceeded', 'unavailable');
    const reader: SecretReader = {
      parameter: async () => {
        throw throttled;
      },
      secret: async () => 'unused',
    };
    const resolver = createSecretResolver({ env: {}, stage: 'prod', reader, maxAgeSeconds: 0 });
    await expect(resolveSecrets(resolver, [{ where: 'k', ref: { ssm: '/x' } }])).rejects.toBe(throttled);
  });

  it('returns each value by its config key', async () => {
    const resolver = createSecretResolver({ env: { TOKEN: 't' }, stage: 's', maxAgeSeconds: 0 });
    const values = await resolveSecrets(resolver, [
      { where: 'a', ref: { value: 'v' } },
      { where: 'b', ref: { env: 'TOKEN' } },
    ]);
    expect([...values]).toEqual([
      ['a', 'v'],
      ['b', 't'],
    ]);
  });
});
