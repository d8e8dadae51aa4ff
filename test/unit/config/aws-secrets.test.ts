import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsSecretReader, SecretReadError } from '../../../shared/config';

// The real SDK clients, built by Powertools Parameters, with their `send` stubbed: what goes to AWS
// (command and input) is checked, and AWS's answers are fixed.
const ssm = mockClient(SSMClient);
const secretsManager = mockClient(SecretsManagerClient);

beforeEach(() => {
  ssm.reset();
  secretsManager.reset();
});

const fresh = { maxAgeSeconds: 300, forceFetch: false };

describe('AWS secret reader (Powertools Parameters)', () => {
  it('decrypts SSM parameters, and reads each once per max age', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/p', Value: 'v1' } });
    const reader = createAwsSecretReader({ region: 'eu-west-1' });
    expect(await reader.parameter('/p', fresh)).toBe('v1');
    expect(await reader.parameter('/p', fresh)).toBe('v1');
    const calls = ssm.commandCalls(GetParameterCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ Name: '/p', WithDecryption: true });
  });

  it('asks AWS again when forced (the cluster answered 401)', async () => {
    ssm
      .on(GetParameterCommand)
      .resolvesOnce({ Parameter: { Value: 'old' } })
      .resolves({ Parameter: { Value: 'new' } });
    const reader = createAwsSecretReader({ region: 'eu-west-1' });
    expect(await reader.parameter('/p', fresh)).toBe('old');
    expect(await reader.parameter('/p', { maxAgeSeconds: 300, forceFetch: true })).toBe('new');
    expect(await reader.parameter('/p', fresh)).toBe('new');
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('keeps nothing with a max age of 0', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'v' } });
    const reader = createAwsSecretReader({ region: 'eu-west-1' });
    const noCache = { maxAgeSeconds: 0, forceFetch: false };
    await reader.parameter('/p', noCache);
    await reader.parameter('/p', noCache);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('reads a Secrets Manager secret string, or its binary as UTF-8', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'text' })
      .resolves({ SecretString: '{"token":"t"}' })
      .on(GetSecretValueCommand, { SecretId: 'binary' })
      .resolves({ SecretBinary: new TextEncoder().encode('from-bytes') });
    const reader = createAwsSecretReader({ region: 'eu-west-1' });
    expect(await reader.secret('text', fresh)).toBe('{"token":"t"}');
    expect(await reader.secret('binary', fresh)).toBe('from-bytes');
  });

  it.each([
    [new ParameterNotFound({ message: 'missing', $metadata: {} }), 'not-found'],
    [
      Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $fault: 'client' }),
      'denied',
    ],
    [
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }),
      'unavailable',
    ],
    [Object.assign(new Error('internal'), { name: 'InternalServerError', $fault: 'server' }), 'unavailable'],
    [
      Object.assign(new Error('key disabled'), { name: 'KMSDisabledException', $fault: 'client' }),
      'rejected',
    ],
  ])('sorts %p into %s', async (error, reason) => {
    ssm.on(GetParameterCommand).rejects(error);
    const reader = createAwsSecretReader({ region: 'eu-west-1' });
    const failure = await reader.parameter('/p', fresh).catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(SecretReadError);
    expect((failure as SecretReadError).reason).toBe(reason);
  });
});
