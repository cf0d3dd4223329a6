export { withLogContext, currentLogContext, type LogContext } from './context';
export { redact } from './redact';
export { createLogger, type Logger, type LoggerOptions } from './logger';
export { createMetricsRegistry, createTaskMetrics, createHttpMetrics, registerQueueDepth, type TaskMetrics, type HttpMetrics } from './metrics';
export { startHealthServer, runReadinessChecks, type ReadinessCheck, type HealthServerOptions } from './health-server';
export { onShutdownSignal, exitOnStartupFailure, exitOnFatalError } from './shutdown';
