import {
  type CellValue,
  type ColumnView,
  type Program,
  PermanentError,
  type TaskResult,
  type TransformationAnswer,
  transformationAnswerSchema,
} from '@conveyor/contracts';
import { checkProgram, coerceRow } from '@conveyor/datasets';
import {
  type Database,
  appendExchange,
  findSession,
  finishActiveTask,
  findTaskByIdempotencyKey,
  nodeOfSession,
  readRows,
  recentMessages,
  replyOfTask,
} from '@conveyor/db';
import type { ChatMessage } from '@conveyor/inference';
import type { BudgetedInference } from '@conveyor/llm';
import type { FollowUpTasks, TaskContext } from '@conveyor/queue';
import type { Kysely } from 'kysely';
import { SAMPLE_ROWS, TRANSFORMATION_SYSTEM_PROMPT, tableMessage } from './transformation-prompt';
import { waitForTask } from './wait-for-task';

const HISTORY = 10;

export interface SessionMessageDeps {
  llm: BudgetedInference;
  db: Kysely<Database>;
  followUps: FollowUpTasks;
}

type Result = TaskResult<'process_chat_message'>;
type Payload = { message: string; session_id?: string; campaign_id?: string };

/** The idempotency key of the transformation a chat task asks for: a retried attempt finds it again. */
const transformationKey = (taskId: string) => `chat:${taskId}`;

/**
 * A message in a dataset session: the model turns it into a program (or says it cannot),
 * the program is checked against the head's columns, apply_transformation runs it on the
 * analysis queue, and this task waits for it and reports the new version. The exchange is
 * kept in the session's chat; a retried attempt finds its reply and its transformation again
 * instead of asking the model twice.
 */
export async function processSessionMessage(deps: SessionMessageDeps, p: Payload & { session_id: string }, ctx: TaskContext): Promise<Result> {
  const result = await answerSessionMessage(deps, p, ctx).catch(async (error: unknown) => {
    // A failure that ends the task frees the session for the next message; one that is retried keeps it.
    if (error instanceof PermanentError || ctx.finalAttempt) await finishActiveTask(deps.db, p.session_id, ctx.taskId);
    throw error;
  });
  await finishActiveTask(deps.db, p.session_id, ctx.taskId);
  return result;
}

async function answerSessionMessage(deps: SessionMessageDeps, p: Payload & { session_id: string }, ctx: TaskContext): Promise<Result> {
  const sessionId = p.session_id;
  const session = await findSession(deps.db, ctx.tenantId, sessionId);
  if (!session) throw new PermanentError(`no session ${sessionId} for this tenant`, 'SESSION_NOT_FOUND');

  const storedReply = await replyOfTask(deps.db, sessionId, ctx.taskId);
  if (storedReply !== undefined) {
    const applied = await findTaskByIdempotencyKey(deps.db, ctx.tenantId, transformationKey(ctx.taskId));
    const base = { conversation_id: sessionId, session_id: sessionId, reply: storedReply, model_used: 'stored', cost_usd: 0 };
    return applied ? { ...base, ...(await awaitTransformation(deps, applied.id, ctx)) } : { ...base, ...unchanged };
  }

  if (!session.head_node_id) throw new PermanentError('the session has no dataset yet; upload one first (POST /api/v1/sessions/{id}/datasets)', 'NO_DATASET');
  const head = await nodeOfSession(deps.db, ctx.tenantId, sessionId, session.head_node_id);
  if (!head) throw new PermanentError(`the session's head ${session.head_node_id} is gone`, 'NODE_NOT_FOUND');
  const columns = head.columns as ColumnView[];
  const sample = (await readRows(deps.db, head.id, 0, SAMPLE_ROWS)).map((row) => coerceRow(row, columns) as CellValue[]);
  const history = (await recentMessages(deps.db, sessionId, HISTORY)).map((m): ChatMessage => ({ role: m.role, content: m.content }));

  const answer = await deps.llm.complete<TransformationAnswer>({
    task: 'dataset_transformation',
    actionType: 'process_chat_message',
    tenantId: ctx.tenantId,
    taskId: ctx.taskId,
    attempt: ctx.attempt,
    campaignId: p.campaign_id,
    messages: [
      { role: 'system', content: TRANSFORMATION_SYSTEM_PROMPT },
      tableMessage(columns, Number(head.row_count), sample),
      ...history,
      { role: 'user', content: p.message },
    ],
    schema: transformationAnswerSchema,
    signal: ctx.signal,
    logger: ctx.logger,
  });
  const call = { model_used: answer.model_used, cost_usd: answer.cost_usd };
  const { reply, program } = answer.data;
  const base = { conversation_id: sessionId, session_id: sessionId, ...call };

  if (program === null) {
    await appendExchange(deps.db, { conversationId: sessionId, taskId: ctx.taskId, message: p.message, reply });
    return { ...base, reply, ...unchanged };
  }
  const problems = problemsOf(program, columns);
  if (problems) {
    const refusal = `I could not change the table: the transformation I came up with does not fit it (${problems}). Nothing was changed; try saying it another way.`;
    await appendExchange(deps.db, { conversationId: sessionId, taskId: ctx.taskId, message: p.message, reply: refusal });
    throw new PermanentError(`the model's program does not fit the dataset: ${problems}; nothing was changed`, 'INVALID_PROGRAM');
  }

  const [applyId] = await deps.followUps.submit(ctx.tenantId, [
    {
      task: 'apply_transformation',
      payload: { session_id: sessionId, program, base_node_id: head.id },
      idempotencyKey: transformationKey(ctx.taskId),
    },
  ]);
  await appendExchange(deps.db, { conversationId: sessionId, taskId: ctx.taskId, message: p.message, reply });
  return { ...base, reply, ...(await awaitTransformation(deps, applyId!, ctx)) };
}

const unchanged = { node_id: null, rows_affected: 0, transformation: null, transformation_task_id: null };

/** What is wrong with the model's program against these columns, in one line, or undefined (checkProgram reads it with programSchema, bounds and all). */
function problemsOf(program: Program, columns: ColumnView[]): string | undefined {
  const checked = checkProgram(program, columns);
  return checked.ok ? undefined : checked.problems.join('; ');
}

/** Waits for the transformation task, showing its progress on this one, and returns its outcome. */
async function awaitTransformation(deps: SessionMessageDeps, taskId: string, ctx: TaskContext) {
  const done = await waitForTask(deps.db, taskId, ctx);
  if (done.status !== 'SUCCESS') {
    const why = (done.error as { message?: string } | null)?.message ?? done.status.toLowerCase();
    throw new PermanentError(`the transformation (task ${taskId}) did not complete: ${why}`, 'TRANSFORMATION_FAILED');
  }
  const result = done.result as { node_id: string; rows_affected: number; transformation: string };
  return { node_id: result.node_id, rows_affected: result.rows_affected, transformation: result.transformation, transformation_task_id: taskId };
}
