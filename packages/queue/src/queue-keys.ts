/**
 * The BullMQ prefix of one queue: `<base>:{<queue>}`. The braces are a Redis Cluster hash tag:
 * every key of the queue hashes on the queue's name alone, so the queue lives in one slot
 * (BullMQ's scripts touch several of its keys at once, which a cluster allows only within a
 * slot) and different queues land on different nodes. The same layout is used on a plain
 * Redis, so moving to a cluster needs no key migration. The wait list of `scraping` under
 * `conveyor` is `conveyor:{scraping}:scraping:wait`.
 */
export function queuePrefix(base: string, queue: string): string {
  return `${base}:{${queue}}`;
}

/** A key of a queue's own (`wait`, `active`, `failed`, `meta`, …), under its prefix. */
export function queueKey(base: string, queue: string, suffix: string): string {
  return `${queuePrefix(base, queue)}:${queue}:${suffix}`;
}

/** The Redis key of a task's BullMQ job hash (its lock is `<key>:lock`). */
export function jobKey(base: string, queue: string, id: string): string {
  return queueKey(base, queue, id);
}

/**
 * The hash of a queue's enveloped tasks: task id → the id of the envelope job that carries it.
 * A task in an envelope has no job of its own id; this is how the reconciler (and a replayed
 * submission) finds the job that holds it. Written before the envelopes are added, dropped by
 * the worker once an envelope is done; an entry whose envelope is gone means nothing.
 */
export function envelopeIndexKey(base: string, queue: string): string {
  return queueKey(base, queue, 'envelope-of');
}
