import type { XEndpoint } from '@conveyor/contracts';

/** The Redis keys of one account's budget for one endpoint. */
export interface XRateKeys {
  /** A hash: the window's limit, remaining calls, end, whether X gave that end, and the probe's deadline. */
  window: string;
  /** A sorted set of the calls taken and not yet answered, scored by when they are given up on. */
  inFlight: string;
}

/**
 * `<prefix>:xrl:{<accountId>}:<endpoint>` and the same with `:inflight`. The braces are a Redis
 * Cluster hash tag: both keys hash on the account alone, so the one script that touches them
 * runs within one slot, and different accounts spread over the masters. The prefix is the
 * deployment's (BULLMQ_PREFIX), which cannot hold a brace; an account id that did would move
 * the hash tag, so it is refused.
 */
export function xRateKeys(prefix: string, accountId: string, endpoint: XEndpoint): XRateKeys {
  if (!accountId || /[{}]/.test(accountId)) throw new Error(`an X account id must be non-empty and hold no braces: ${JSON.stringify(accountId)}`);
  if (/[{}]/.test(prefix)) throw new Error(`a Redis key prefix must hold no braces: ${JSON.stringify(prefix)}`);
  const window = `${prefix}:xrl:{${accountId}}:${endpoint}`;
  return { window, inFlight: `${window}:inflight` };
}
