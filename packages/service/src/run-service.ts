import { type BaseEnv, loadConfigOrExit } from '@conveyor/config';
import { createLogger, exitOnFatalError, exitOnStartupFailure, onShutdownSignal } from '@conveyor/observability';
import type { z } from 'zod';
import { type ServiceOptions, startService } from './start-service';

export interface RunServiceOptions<S extends z.ZodType<BaseEnv>> extends ServiceOptions<z.infer<S>> {
  /** The app's environment schema: a wrong variable exits 78 before anything connects. */
  schema: S;
}

/**
 * An app's whole life as a process: its configuration, its logger (and one structured line
 * and exit 1 on a fatal error), startService, then a graceful stop on SIGTERM/SIGINT (exit 0),
 * or "failed to start" and exit 1 once what was acquired is released.
 */
export function runService<S extends z.ZodType<BaseEnv>>(options: RunServiceOptions<S>): void {
  const env = loadConfigOrExit(options.schema, options.service);
  const logger = createLogger({ service: options.service, level: env.LOG_LEVEL, format: env.LOG_FORMAT });
  exitOnFatalError(logger);
  startService(env, logger, options).then((service) => onShutdownSignal(logger, service.stop), exitOnStartupFailure(logger));
}
