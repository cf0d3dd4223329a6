/** The reason a handler's AbortSignal fires when its worker stops and releases the task. */
export class WorkerShutdownError extends Error {
  override name = 'WorkerShutdownError';
  constructor(options?: ErrorOptions) {
    super('the worker is shutting down; the task is released to another worker', options);
  }
}
