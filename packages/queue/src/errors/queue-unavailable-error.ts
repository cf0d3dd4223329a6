/** Redis cannot take the job now; the API answers 503 and the client retries. */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}
