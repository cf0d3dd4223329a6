import { AsyncLocalStorage } from 'node:async_hooks';

/** Correlation fields that every log line written inside a context carries. */
export interface LogContext {
  request_id?: string;
  task_id?: string;
  tenant_id?: string;
  attempt?: number;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs fn with the given correlation fields added to those already in effect. */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

/** The correlation fields in effect here (empty outside any context). */
export function currentLogContext(): LogContext {
  return storage.getStore() ?? {};
}
