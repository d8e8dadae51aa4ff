export { jsonResponse } from './http';
export { createLogger } from './logger';
export { createMetrics, metricNames, metricsNamespace } from './metrics';
export { refreshSecrets } from './refresh-secrets';
export { createTracing } from './tracer';
export { publishProvisionOutcome, publishProvisionRetry } from './provision-metrics';
