import type { Logger } from './logger';

/**
 * Runs stop() once on the first SIGTERM or SIGINT, then exits 0 (1 if stop() threw).
 * A second signal while stopping exits at once, so an impatient Ctrl-C still works.
 */
export function onShutdownSignal(logger: Logger, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal while stopping: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    stop(signal).then(
      () => {
        logger.info('stopped');
        logger.on('finish', () => process.exit(0));
        logger.end();
        setTimeout(() => process.exit(0), 500).unref();
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        setTimeout(() => process.exit(1), 100);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

/** Logs a start-up failure and exits: for an app's main(). */
export function exitOnStartupFailure(logger: Logger) {
  return (error: unknown) => {
    logger.error('failed to start', { error });
    setTimeout(() => process.exit(1), 100);
  };
}

/**
 * Logs an uncaught exception or unhandled rejection as one structured line (with the
 * correlation ids in effect where it was thrown) and exits 1, instead of Node's unstructured
 * dump on stderr. The process is in an unknown state; its supervisor restarts it and the
 * tasks it held are redelivered once their locks lapse.
 */
export function exitOnFatalError(logger: Logger): void {
  const fatal = (kind: string) => (error: unknown) => {
    logger.error('fatal error: exiting', { kind, error });
    logger.on('finish', () => process.exit(1));
    logger.end();
    setTimeout(() => process.exit(1), 500).unref();
  };
  process.once('uncaughtException', fatal('uncaughtException'));
  process.once('unhandledRejection', fatal('unhandledRejection'));
}
