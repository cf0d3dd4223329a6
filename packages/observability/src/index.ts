export { withLogContext, currentLogContext, type LogContext } from './context';
export { redact } from './redact';
export { createLogger, type Logger, type LoggerOptions } from './logger';
export {
  createMetricsRegistry,
  createTaskMetrics,
  createHttpMetrics,
  createDatasetMetrics,
  registeredCounter,
  registerQueueDepth,
  registerLiveWorkers,
  type TaskMetrics,
  type HttpMetrics,
  type DatasetMetrics,
} from './metrics';
export { registerDependencyGauge } from './dependency-metrics';
export { startHealthServer, runReadinessChecks, type ReadinessCheck, type HealthServerOptions } from './health-server';
export { onShutdownSignal, exitOnStartupFailure, exitOnFatalError } from './shutdown';
export { instanceId } from './instance';
