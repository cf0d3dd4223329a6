import type { z } from 'zod';
import type { TaskDefinition } from './define-task';
import type { QueueName } from './queues';
import { applyTransformation, classifyArchetype, extractPatterns, scorePost } from './tasks/analysis';
import { generateDraft, processChatMessage } from './tasks/generation';
import { ping, testTask } from './tasks/monitoring';
import { captureMetrics, prepareMedia, publishPost } from './tasks/publishing';
import { ingestSource } from './tasks/scraping';

/**
 * Every task Conveyor runs, by name. Handlers are chosen from here and nowhere else:
 * a name that is not in the catalog is never run.
 */
export const TASK_CATALOG = {
  [ping.name]: ping,
  [testTask.name]: testTask,
  [classifyArchetype.name]: classifyArchetype,
  [scorePost.name]: scorePost,
  [extractPatterns.name]: extractPatterns,
  [applyTransformation.name]: applyTransformation,
  [generateDraft.name]: generateDraft,
  [processChatMessage.name]: processChatMessage,
  [publishPost.name]: publishPost,
  [prepareMedia.name]: prepareMedia,
  [captureMetrics.name]: captureMetrics,
  [ingestSource.name]: ingestSource,
} as const;

export type TaskName = keyof typeof TASK_CATALOG;
export type TaskPayload<N extends TaskName> = z.output<(typeof TASK_CATALOG)[N]['payload']>;
export type TaskPayloadInput<N extends TaskName> = z.input<(typeof TASK_CATALOG)[N]['payload']>;
export type TaskResult<N extends TaskName> = z.output<(typeof TASK_CATALOG)[N]['result']>;

export const TASK_NAMES = Object.keys(TASK_CATALOG).sort() as TaskName[];

export function isTaskName(name: string): name is TaskName {
  return Object.prototype.hasOwnProperty.call(TASK_CATALOG, name);
}

export function getTaskDefinition(name: string): TaskDefinition | undefined {
  return isTaskName(name) ? TASK_CATALOG[name] : undefined;
}

/** The task names a queue's worker must handle. */
export function tasksOfQueue(queue: QueueName): TaskName[] {
  return TASK_NAMES.filter((name) => TASK_CATALOG[name].queue === queue);
}
