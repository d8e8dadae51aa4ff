/** Environment a function needs at cold start; URLs need not answer for unit tests. */
export const functionEnv = {
  PITCREW_STAGE: 'test',
  AWS_REGION: 'us-east-1',
  PITCREW_TABLE_NAME: 'pitcrew-test',
  PITCREW_QUEUE_URL: 'http://127.0.0.1:9/queue/pitcrew-test-provision',
  PITCREW_DLQ_URL: 'http://127.0.0.1:9/queue/pitcrew-test-provision-dlq',
  PITCREW_CONFIG_FILE: 'test/fixtures/config/minimal.yaml',
  // No CloudWatch metrics (EMF lines on stdout) unless a test asks for them to read them.
  POWERTOOLS_METRICS_DISABLED: 'true',
};
