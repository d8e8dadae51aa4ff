import { ConfigError, loadSettings } from '../../../shared/config';

const complete = {
  PITCREW_STAGE: 'dev',
  AWS_REGION: 'eu-west-1',
  PITCREW_TABLE_NAME: 'pitcrew-dev',
  PITCREW_CONFIG_FILE: 'pitcrew.config.yaml',
  PITCREW_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/pitcrew-dev-provision',
  PITCREW_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/pitcrew-dev-provision-dlq',
};

describe('loadSettings', () => {
  it('returns typed settings when everything is set', () => {
    expect(loadSettings('ops', complete)).toEqual({
      stage: 'dev',
      region: 'eu-west-1',
      tableName: 'pitcrew-dev',
      configFile: 'pitcrew.config.yaml',
      queueUrl: complete.PITCREW_QUEUE_URL,
      dlqUrl: complete.PITCREW_DLQ_URL,
      dynamoDbEndpoint: undefined,
      sqsEndpoint: undefined,
      inLambda: false,
    });
  });

  it('says a function runs in AWS Lambda when Lambda names it, unless serverless invoke local says IS_LOCAL', () => {
    const named = { ...complete, AWS_LAMBDA_FUNCTION_NAME: 'pitcrew-prod-webhook' };
    expect(loadSettings('webhook', named).inLambda).toBe(true);
    expect(loadSettings('webhook', { ...named, IS_LOCAL: 'true' }).inLambda).toBe(false);
  });

  it('names a missing required setting', () => {
    const { PITCREW_TABLE_NAME: _omitted, ...env } = complete;
    expect(() => loadSettings('webhook', env)).toThrow(/PITCREW_TABLE_NAME: is required but not set/);
  });

  it('reports every problem at once, not only the first', () => {
    let caught: unknown;
    try {
      loadSettings('ops', {
        ...complete,
        PITCREW_QUEUE_URL: 'not a url',
        PITCREW_DLQ_URL: undefined,
        PITCREW_STAGE: '  ',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.setting).sort()).toEqual([
      'PITCREW_DLQ_URL',
      'PITCREW_QUEUE_URL',
      'PITCREW_STAGE',
    ]);
  });

  it('never puts a setting value in the message', () => {
    expect(() => loadSettings('webhook', { ...complete, PITCREW_QUEUE_URL: 'secret-looking-value' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret-looking-value') }),
    );
  });

  it('only asks the webhook for what it uses (no DLQ url)', () => {
    const { PITCREW_DLQ_URL: _unused, ...env } = complete;
    expect(loadSettings('webhook', env).queueUrl).toBe(complete.PITCREW_QUEUE_URL);
  });
});
