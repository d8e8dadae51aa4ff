import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * X-Ray tracing, switched on per stage in serverless.yml (`tracing: Active`), which sets
 * POWERTOOLS_TRACE_ENABLED; off, or outside Lambda, every call is a no-op. On, it records the
 * handler, the AWS SDK clients passed to `captureAWSv3Client`, and outgoing HTTPS calls (the
 * Kubernetes API, GitHub, Jenkins).
 */
export const createTracer = (fn: string): Tracer => new Tracer({ serviceName: `pitcrew-${fn}` });
