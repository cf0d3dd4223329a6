import { isDeepStrictEqual } from 'node:util';
import { SYSTEM_TENANT_ID, TASK_NAMES, type TaskOrigin, type TaskPolicies, type TaskSubmission, getTaskDefinition } from '@conveyor/contracts';
import { type Database, type Submitted, type TaskRow, deleteUnstartedTasks, taskRow } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import { QueueUnavailableError, type RedisClient, type TaskProducer } from '@conveyor/queue';
import type { CostTracker } from '@conveyor/cost-tracker';
import type { Kysely } from 'kysely';
import { refuseUsedUpLimits } from './action-limit-gate';
import { HttpError, type Issue, toIssues } from './http-error';
import type { SubmissionWrites } from './submission-writes';

export interface SubmitDeps {
  db: Kysely<Database>;
  redis: RedisClient;
  producer: TaskProducer;
  /** Inserts and enqueues grouped across concurrent requests. */
  submissions: SubmissionWrites;
  policies: TaskPolicies;
  /** Per-action limits a task to run now must not have used up (a 429 otherwise). */
  costs: Pick<CostTracker, 'usedUpLimit'>;
  logger: Logger;
}

export interface SubmittedTask {
  row: TaskRow;
  /** False for an idempotent replay: the tenant had already submitted this key. */
  created: boolean;
}

type Checked = { submission: TaskSubmission; definition: NonNullable<ReturnType<typeof getTaskDefinition>>; payload: unknown };

/**
 * What is wrong with submissions of the right shape, against the catalog: unknown tasks,
 * payloads their task rejects, an idempotency key repeated within one request. Issue paths
 * start with pathPrefix (e.g. "tasks.3").
 */
export function catalogIssues(
  submissions: (TaskSubmission | undefined)[],
  pathPrefix: (index: number) => string | undefined,
): { issues: Issue[]; checked: (Checked | undefined)[] } {
  const issues: Issue[] = [];
  const checked = submissions.map((submission, index) => {
    if (!submission) return undefined;
    const at = (path: string) => [pathPrefix(index), path].filter(Boolean).join('.');
    const definition = getTaskDefinition(submission.task);
    if (!definition) {
      issues.push({ path: at('task'), message: `unknown task "${submission.task}"; known tasks: ${TASK_NAMES.join(', ')}` });
      return undefined;
    }
    const payload = definition.payload.safeParse(submission.payload);
    if (!payload.success) {
      issues.push(...toIssues(payload.error, at('payload')));
      return undefined;
    }
    return { submission, definition, payload: payload.data as unknown };
  });
  const seen = new Map<string, number>();
  submissions.forEach((s, index) => {
    if (!s?.idempotency_key) return;
    const first = seen.get(s.idempotency_key);
    if (first !== undefined) issues.push({ path: `${pathPrefix(index) ?? ''}.idempotency_key`, message: `repeats the key of item ${first}` });
    else seen.set(s.idempotency_key, index);
  });
  return { issues, checked };
}

/** A 400 listing issues (the first ten in the message, all in `issues`). */
export function submissionError(issues: Issue[]): HttpError {
  const code = issues.every((i) => i.message.startsWith('unknown task')) ? 'unknown_task' : 'validation_failed';
  const summary = issues
    .slice(0, 10)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  return new HttpError(400, code, `Invalid submission: ${summary}${issues.length > 10 ? ` (and ${issues.length - 10} more)` : ''}`, issues);
}

/** Submissions checked against the catalog, or a 400 naming every problem. */
export function validate(submissions: TaskSubmission[], pathPrefix: (index: number) => string | undefined): Checked[] {
  const { issues, checked } = catalogIssues(submissions, pathPrefix);
  if (issues.length) throw submissionError(issues);
  return checked.map((c) => c!);
}

/** A 403 when a tenant names a task only Conveyor runs (ingest_source), saying how an operator runs it. */
export function refuseSystemTasks(definitions: readonly { name: string; system?: boolean }[]): void {
  const system = definitions.find((d) => d.system);
  if (!system) return;
  throw new HttpError(
    403,
    'system_task',
    `${system.name} is run by Conveyor itself, on its system schedules; an operator runs it with the admin key (POST /api/v1/ingestion/{source}/run)`,
  );
}

/** Checked before writing anything: with Redis down there is no point committing rows (503). */
export function checkQueueReady(redis: RedisClient): void {
  if (redis.status !== 'ready') throw new QueueUnavailableError(`Redis is not connected (${redis.status})`);
}

/**
 * Accepts tasks for a tenant: validates all of them against the catalog, commits them (in one
 * INSERT with those of concurrent requests), then enqueues them in bulk. A task whose idempotency key the tenant used before
 * is returned, not created again (and a key reused for a different task is a 409). If the
 * enqueue fails, the tasks this call created are deleted again and the caller gets 503, so a
 * refused submission leaves nothing behind.
 */
export async function submitTasks(
  deps: SubmitDeps,
  tenantId: string,
  submissions: TaskSubmission[],
  pathPrefix: (index: number) => string | undefined,
  origin: TaskOrigin = 'api',
): Promise<SubmittedTask[]> {
  const valid = validate(submissions, pathPrefix);
  if (tenantId !== SYSTEM_TENANT_ID) refuseSystemTasks(valid.map((v) => v.definition));
  checkQueueReady(deps.redis);

  const inserts = valid.map(({ submission, definition, payload }) =>
    taskRow(deps.policies, {
      tenantId,
      task: definition.name,
      payload,
      priority: submission.priority,
      delayMs: submission.delay_ms,
      idempotencyKey: submission.idempotency_key,
      tags: submission.tags,
      metadata: submission.metadata,
      origin,
    }),
  );
  const submitted = await deps.submissions.insert(inserts);

  const conflicts = submitted.flatMap((s, i) =>
    !s.created && (s.row.task !== inserts[i]!.task || !isDeepStrictEqual(s.row.payload, inserts[i]!.payload)) ? [i] : [],
  );
  const created = submitted.filter((s) => s.created).map((s) => s.row.id);
  if (conflicts.length) {
    await deleteUnstartedTasks(deps.db, created);
    const existing = (i: number) => submitted[i]!.row.id;
    const which = conflicts.length === 1 && submissions.length === 1 ? 'this task' : `item(s) ${conflicts.join(', ')}`;
    throw new HttpError(
      409,
      'idempotency_conflict',
      `The idempotency key of ${which} was already used for a different task or payload: task ${conflicts.map(existing).join(', ')}; use a new key, or read that task`,
      conflicts.map((i) => ({
        path: [pathPrefix(i), 'idempotency_key'].filter(Boolean).join('.'),
        message: `already used for task ${existing(i)}, with a different task or payload`,
      })),
    );
  }
  // A new task to run now whose model calls the plan has used up this period would only fail:
  // refused (429), and nothing kept. Replays of a key are answered as before.
  const immediate = submitted.flatMap((s, i) => (s.created && !inserts[i]!.delay_ms ? [s.row.task] : []));
  try {
    await refuseUsedUpLimits(deps.costs, tenantId, immediate);
  } catch (error) {
    await deleteUnstartedTasks(deps.db, created);
    throw error;
  }

  // New tasks, and replays of tasks still PENDING (their first enqueue may have failed):
  // a replayed one is enqueued only when no job holds it, its own or an envelope, so this
  // cannot double anything. A new task's job waits the delay it was given (BullMQ's delays
  // are durations); for a replayed one, what is left of its delay is near enough.
  const request = ({ row }: Submitted, delayMs?: number) => ({
    id: row.id,
    task: row.task,
    queue: row.queue,
    priority: row.priority,
    delayMs: delayMs ?? (row.run_at ? Math.max(0, row.run_at.getTime() - Date.now()) : undefined),
  });
  try {
    await Promise.all([
      deps.submissions.enqueue(submitted.flatMap((s, i) => (s.created ? [request(s, inserts[i]!.delay_ms ?? undefined)] : []))),
      deps.producer.enqueueMissing(submitted.filter((s) => !s.created && s.row.status === 'PENDING').map((s) => request(s))),
    ]);
  } catch (error) {
    await deleteUnstartedTasks(deps.db, created).catch((cleanupError: unknown) =>
      deps.logger.error('could not remove tasks whose enqueue failed; the reconciler will enqueue them', { task_ids: created, error: cleanupError }),
    );
    throw error;
  }
  deps.logger.info('tasks accepted', {
    count: created.length,
    replayed: submitted.length - created.length,
    ...(submitted.length === 1 ? { task_id: submitted[0]!.row.id } : {}),
  });
  return submitted;
}
