/**
 * How the global setup hands endpoints to test files: environment variables, which jest workers
 * inherit. Set them yourself to run the integration tests against servers you already started.
 */
export const testEnv = {
  sqsEndpoint: 'PITCREW_TEST_SQS_ENDPOINT',
  dynamoDbEndpoint: 'PITCREW_TEST_DYNAMODB_ENDPOINT',
  kubeconfig: 'PITCREW_TEST_KUBECONFIG',
} as const;

export function requiredTestEnv(name: keyof typeof testEnv): string {
  const value = process.env[testEnv[name]];
  if (!value)
    throw new Error(
      `${testEnv[name]} is not set: run integration tests through jest's global setup (npm test)`,
    );
  return value;
}
