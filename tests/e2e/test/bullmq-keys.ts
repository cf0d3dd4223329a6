/**
 * The Redis list BullMQ keeps a queue's waiting jobs in, under the agreed Cluster-safe layout:
 * the queue's BullMQ prefix is `<BULLMQ_PREFIX>:{<queue>}` (the braces are a hash tag, so
 * every key of one queue lands on one Cluster node), and BullMQ names its keys
 * `<prefix>:<queue>:<type>`. This must equal the key layout of packages/queue; KEDA's
 * ScaledObjects in infra/k8s watch this list.
 */
export function bullmqWaitList(prefix: string, queue: string): string {
  return `${prefix}:{${queue}}:${queue}:wait`;
}
