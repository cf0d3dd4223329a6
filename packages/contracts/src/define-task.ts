import type { z } from 'zod';
import type { QueueName } from './queues';

/** How a task type is run: attempts, lost attempts allowed, backoff, time limits, retention. */
export interface TaskPolicy {
  /** Attempts in all, the first included; an attempt lost with its worker does not count. */
  attempts: number;
  /**
   * Attempts that may be lost with their worker (it crashed or stalled) before the task is
   * failed: a task that keeps killing its worker must end, an innocent one caught in a crash
   * must not pay for it out of its own attempts.
   */
  maxLostAttempts: number;
  /** Exponential backoff between attempts: base × 2^(attempt-1), capped at max, with jitter. */
  backoff: { baseMs: number; maxMs: number };
  /** Milliseconds after which the handler's AbortSignal fires. */
  softTimeoutMs: number;
  /** Milliseconds after which the attempt is failed (as transient) whatever the handler does. */
  hardTimeoutMs: number;
  /** Milliseconds a finished task and its result are kept. */
  retentionMs: number;
}

/** One entry of the task catalog: the contract both the API and the worker check. */
export interface TaskDefinition<
  Name extends string = string,
  Payload extends z.ZodType = z.ZodType,
  Result extends z.ZodType = z.ZodType,
  Queue extends QueueName = QueueName,
> {
  name: Name;
  queue: Queue;
  description: string;
  payload: Payload;
  result: Result;
  defaults: TaskPolicy;
  /**
   * Run by Conveyor itself (its system schedules, the admin API), never submitted or scheduled
   * by a tenant: the API answers 403 to a tenant that names it.
   */
  system?: boolean;
}

export const PLATFORM_DEFAULTS: TaskPolicy = {
  attempts: 3,
  maxLostAttempts: 3,
  backoff: { baseMs: 1000, maxMs: 60_000 },
  softTimeoutMs: 5 * 60_000,
  hardTimeoutMs: 5 * 60_000 + 30_000,
  retentionMs: 24 * 3_600_000,
};

/** Declares a task; unspecified defaults come from the platform's. */
export function defineTask<Name extends string, Payload extends z.ZodType, Result extends z.ZodType, Queue extends QueueName>(
  definition: Omit<TaskDefinition<Name, Payload, Result, Queue>, 'defaults'> & { defaults?: Partial<TaskPolicy> },
): TaskDefinition<Name, Payload, Result, Queue> {
  const defaults = { ...PLATFORM_DEFAULTS, ...definition.defaults };
  if (defaults.hardTimeoutMs < defaults.softTimeoutMs) {
    throw new Error(`task ${definition.name}: hardTimeoutMs must not be below softTimeoutMs`);
  }
  return { ...definition, defaults };
}
