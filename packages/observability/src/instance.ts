import os from 'node:os';

let cached: string | undefined;

/**
 * This process's name among its replicas: INSTANCE_ID when the platform gives one (a pod's
 * name), otherwise host and pid. /healthz answers with it, so whoever started the process can
 * tell that the answer came from that process and not from another one on the same port.
 */
export function instanceId(): string {
  cached ??= process.env.INSTANCE_ID?.trim() || `${os.hostname()}-${process.pid}`;
  return cached;
}
