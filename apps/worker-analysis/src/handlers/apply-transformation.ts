import { type ColumnView, PermanentError, type TaskPayload, type TaskResult } from '@conveyor/contracts';
import { ProgramError, type Row, type TransformSummary, coerceRow, transformRows } from '@conveyor/datasets';
import { type Database, DatasetSessionNotFoundError, ParentNodeNotFoundError, findSession, nodeOfSession, readChunks, writeNode } from '@conveyor/db';
import type { DatasetMetrics } from '@conveyor/observability';
import type { TaskContext } from '@conveyor/queue';
import type { Kysely } from 'kysely';

type Result = TaskResult<'apply_transformation'>;

/** Progress is reported at most this often, in percent of the base version's rows. */
const PROGRESS_STEP = 10;

/**
 * Runs a program over a version of a session's data, chunk by chunk, into a new version whose
 * id is this task's: the rows are written as they come (never the whole table in memory) in
 * one transaction with the head's move, so a lost attempt leaves nothing, and a retry of an
 * attempt that committed returns the version it made instead of making a second.
 */
export async function applyTransformation(
  deps: { db: Kysely<Database>; metrics: DatasetMetrics },
  p: TaskPayload<'apply_transformation'>,
  ctx: TaskContext,
): Promise<Result> {
  const { db, metrics } = deps;
  // The version's id is the task's: an earlier attempt that committed made it already.
  const made = await nodeOfSession(db, ctx.tenantId, p.session_id, ctx.taskId);
  if (made) return resultOf(made);

  const session = await findSession(db, ctx.tenantId, p.session_id);
  if (!session) throw new PermanentError(`no session ${p.session_id} for this tenant`, 'SESSION_NOT_FOUND');
  const baseId = p.base_node_id ?? session.head_node_id;
  if (!baseId) throw new PermanentError('the session has no dataset yet; upload one first (POST /api/v1/sessions/{id}/datasets)', 'NO_DATASET');
  const base = await nodeOfSession(db, ctx.tenantId, p.session_id, baseId);
  if (!base) throw new PermanentError(`no version ${baseId} in session ${p.session_id}`, 'NODE_NOT_FOUND');

  const columns = base.columns as ColumnView[];
  const total = Number(base.row_count);
  let shown = 0;
  let reporting: Promise<void> = Promise.resolve();
  const onRows = (read: number) => {
    const percent = total === 0 ? 100 : Math.floor((read / total) * 100);
    if (percent < shown + PROGRESS_STEP || percent >= 100) return;
    shown = percent - (percent % PROGRESS_STEP);
    const at = shown;
    reporting = reporting.then(() => ctx.progress(at, `Applying transformation... ${at} %`)).catch(() => undefined);
  };

  let run: ReturnType<typeof transformRows>;
  try {
    run = transformRows(p.program, columns, typedChunks(readChunks(db, base.id), columns), { signal: ctx.signal, onRows, inputRows: total });
  } catch (error) {
    if (error instanceof ProgramError) throw new PermanentError(`the program does not fit version ${base.id}: ${error.problems.join('; ')}`, 'INVALID_PROGRAM');
    throw error;
  }
  let summary: TransformSummary | undefined;
  const node = await writeNode(db, {
    id: ctx.taskId,
    sessionId: p.session_id,
    tenantId: ctx.tenantId,
    parentId: base.id,
    taskId: ctx.taskId,
    program: p.program,
    source: null,
    chunks: run.chunks,
    finish: () => {
      summary = run.summary();
      return { columns: run.columns, transformation: summary.transformation, rowsAffected: summary.rowsAffected };
    },
    signal: ctx.signal,
  }).catch((error: unknown) => {
    // The session (or the version) was deleted while the program ran: nothing to retry for.
    if (error instanceof DatasetSessionNotFoundError || error instanceof ParentNodeNotFoundError)
      throw new PermanentError(`the session or its version was deleted while the transformation ran: ${error.message}`, 'SESSION_NOT_FOUND');
    throw error;
  });
  await reporting;
  // Only the attempt that wrote the version counts it (finish ran); one that found it made nothing.
  if (summary) {
    metrics.versions.inc({ origin: 'transformation' });
    metrics.rows.inc({ origin: 'transformation' }, node.row_count);
    metrics.rowsRead.inc(summary.rowsIn);
    ctx.logger.info('transformation applied', {
      session_id: p.session_id,
      node_id: node.id,
      base_node_id: base.id,
      rows_in: summary.rowsIn,
      rows_out: node.row_count,
      rows_affected: node.rows_affected,
    });
  }
  return resultOf(node);
}

async function* typedChunks(chunks: AsyncIterable<Row[]>, columns: ColumnView[]): AsyncGenerator<Row[]> {
  for await (const chunk of chunks) yield chunk.map((row) => coerceRow(row, columns));
}

function resultOf(node: { id: string; rows_affected: number | string; transformation: string; row_count: number | string }): Result {
  return { node_id: node.id, rows_affected: Number(node.rows_affected), transformation: node.transformation, row_count: Number(node.row_count) };
}
