import type { MiddlewareObj } from '@middy/core';

/** serverless.yml sets POWERTOOLS_TRACE_ENABLED to 'true' for a stage with `tracing: Active`. */
const isTracingOn = (env: NodeJS.ProcessEnv): boolean =>
  env.POWERTOOLS_TRACE_ENABLED?.trim().toLowerCase() === 'true';

/**
 * X-Ray tracing as a middy middleware: the handler, the AWS SDK clients given, and outgoing HTTPS
 * calls (the Kubernetes API, GitHub, Jenkins). Off, it is no middleware at all and Powertools'
 * Tracer is never imported: importing it loads aws-xray-sdk-core, whose cls-hooked installs an
 * async hook that tracks every promise of the process whether tracing is on or not, about a sixth
 * of the bench process's CPU in a burst (docs/performance.md). Unset means off here, unlike
 * Powertools' own default: serverless.yml sets it for every function.
 */
export async function createTracing(
  fn: string,
  clients: readonly object[],
  env: NodeJS.ProcessEnv,
): Promise<MiddlewareObj[]> {
  // A list, as middy refuses an empty middleware object but takes an empty list.
  if (!isTracingOn(env)) return [];
  const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([
    import('@aws-lambda-powertools/tracer'),
    import('@aws-lambda-powertools/tracer/middleware'),
  ]);
  const tracer = new Tracer({ serviceName: `pitcrew-${fn}` });
  for (const client of clients) tracer.captureAWSv3Client(client);
  return [captureLambdaHandler(tracer)];
}
