import { isTerminal } from '@conveyor/contracts';
import { type TaskRow, deleteUnstartedTasks, findTaskForTenant, finishActiveTask, insertTasks, lockSession, setActiveTask, taskRow } from '@conveyor/db';
import { HttpError } from './http-error';
import { refuseUsedUpLimits } from './action-limit-gate';
import { type SubmitDeps, checkQueueReady, validate } from './submit-tasks';

/** The task that answers a session's chat message; its payload is `{message, session_id}`. */
const CHAT_TASK = 'process_chat_message';

/**
 * Submits a chat message of a dataset session as a process_chat_message task. A session takes
 * one message at a time: in one transaction its row is locked, a message whose task is still
 * running is a 409 naming that task, and the new task's row is inserted and recorded as the
 * session's active task; so of concurrent messages one gets through. A session without data
 * yet is a 409 too. The job is enqueued after the commit; should that fail (Redis went down),
 * the task and its mark on the session are removed again and the caller gets 503, as with
 * submitTasks: nothing is left behind. With Redis down beforehand nothing is written.
 */
export async function submitChatMessage(deps: SubmitDeps, tenantId: string, sessionId: string, message: string): Promise<TaskRow> {
  const [checked] = validate([{ task: CHAT_TASK, payload: { message, session_id: sessionId } }], () => undefined);
  checkQueueReady(deps.redis);
  await refuseUsedUpLimits(deps.costs, tenantId, [CHAT_TASK]);
  const task = await deps.db.transaction().execute(async (trx) => {
    const session = await lockSession(trx, tenantId, sessionId);
    if (!session) throw new HttpError(404, 'session_not_found', `No session ${sessionId}`);
    if (!session.head_node_id) {
      throw new HttpError(409, 'session_has_no_dataset', `The session has no data yet: upload a dataset first (POST /api/v1/sessions/${sessionId}/datasets)`);
    }
    if (session.active_task_id) {
      const active = await findTaskForTenant(trx, session.active_task_id, tenantId);
      if (active && !isTerminal(active.status)) {
        throw new HttpError(
          409,
          'session_busy',
          `The session is still processing a message (task ${active.id}, ${active.status}); send the next one when it has finished (GET /api/v1/tasks/${active.id})`,
        );
      }
    }
    const [submitted] = await insertTasks(trx, [
      taskRow(deps.policies, { tenantId, task: checked!.definition.name, payload: checked!.payload, origin: 'chat' }),
    ]);
    await setActiveTask(trx, tenantId, sessionId, submitted!.row.id);
    return submitted!.row;
  });
  try {
    await deps.submissions.enqueue([{ id: task.id, task: task.task, queue: task.queue, priority: task.priority }]);
  } catch (error) {
    await deps.db
      .transaction()
      .execute(async (trx) => {
        // A task some worker picked up after all stays, and stays the session's active one.
        if (await deleteUnstartedTasks(trx, [task.id])) await finishActiveTask(trx, sessionId, task.id);
      })
      .catch((cleanupError: unknown) =>
        deps.logger.error('could not remove a chat task whose enqueue failed; the reconciler will enqueue it', { task_id: task.id, error: cleanupError }),
      );
    throw error;
  }
  deps.logger.info('chat message accepted', { task_id: task.id, session_id: sessionId });
  return task;
}
