export { buildServer, startServer, DEFAULT_LIMITS, SECURITY_HEADERS, CONTENT_SECURITY_POLICY, progressFraction, type ServerOptions, type ServerLimits, type RunningServer } from './app.js';
export { ApiError, type ErrorBody } from './errors.js';
export { JobQueue, type Job, type JobStatus, type JobRunner } from './jobs.js';
export { Limiter } from './limiter.js';
export { Metrics, type MetricsSnapshot } from './metrics.js';
export { openApiDocument } from './openapi.js';
