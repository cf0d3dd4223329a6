import type { z } from 'zod';
import type { QueueName } from './queues';

/** Execution defaults of one task type. */
export interface TaskDefaults {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Milliseconds an attempt may run. */
  timeoutMs: number;
  /** Milliseconds a finished task's result is kept. */
  retentionMs: number;
}

/** One entry of the task catalog: the contract both the API and the worker check. */
export interface TaskDefinition<
  Name extends string = string,
  Payload extends z.ZodType = z.ZodType,
  Result extends z.ZodType = z.ZodType,
> {
  name: Name;
  queue: QueueName;
  description: string;
  payload: Payload;
  result: Result;
  defaults: TaskDefaults;
}

const DEFAULTS: TaskDefaults = { attempts: 1, timeoutMs: 5 * 60_000, retentionMs: 24 * 3_600_000 };

/** Declares a task; unspecified defaults come from the platform's. */
export function defineTask<Name extends string, Payload extends z.ZodType, Result extends z.ZodType>(
  definition: Omit<TaskDefinition<Name, Payload, Result>, 'defaults'> & { defaults?: Partial<TaskDefaults> },
): TaskDefinition<Name, Payload, Result> {
  return { ...definition, defaults: { ...DEFAULTS, ...definition.defaults } };
}
