/** The reason a handler's AbortSignal fires when its task is revoked. */
export class TaskRevokedError extends Error {
  override name = 'TaskRevokedError';
  constructor(options?: ErrorOptions) {
    super('the task was revoked', options);
  }
}
