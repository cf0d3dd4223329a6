import type { NodeView, SessionView } from '@conveyor/contracts';
import { coerceRow } from '@conveyor/datasets';
import type { DatasetNode, DatasetRow, DatasetSessionRow, SessionMessage } from '@conveyor/db';

/** A dataset session as the API shows it. */
export function toSessionView(row: DatasetSessionRow): SessionView {
  return {
    session_id: row.id,
    name: row.name,
    head_node_id: row.head_node_id,
    active_task_id: row.active_task_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** A version of a session's data; is_head compares it with the session's head as read with it. */
export function toNodeView(node: DatasetNode, headNodeId: string | null): NodeView {
  return {
    node_id: node.id,
    session_id: node.session_id,
    parent_id: node.parent_id,
    row_count: node.row_count,
    columns: node.columns,
    transformation: node.transformation,
    rows_affected: node.rows_affected,
    program: node.program,
    task_id: node.task_id,
    is_head: node.id === headNodeId,
    created_at: node.created_at.toISOString(),
  };
}

/**
 * A page of a node's rows, each an object keyed by column name in column order, its cells
 * typed (coerceRow: an upload's raw CSV text read as its column's type).
 */
export function toRowsView(node: DatasetNode, page: { offset: number; limit: number }, rows: DatasetRow[]) {
  const names = node.columns.map((c) => c.name);
  return {
    node_id: node.id,
    offset: page.offset,
    limit: page.limit,
    total_rows: node.row_count,
    columns: node.columns,
    rows: rows.map((row) => {
      const typed = coerceRow(row, node.columns);
      return Object.fromEntries(names.map((name, i) => [name, typed[i] ?? null]));
    }),
  };
}

/** One message of a session's chat. */
export function toMessageView(message: SessionMessage) {
  return { role: message.role, content: message.content, task_id: message.task_id, created_at: message.created_at.toISOString() };
}
