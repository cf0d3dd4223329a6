import type { TaskLogLine } from '@conveyor/contracts';
import type { TaskLogRow } from '@conveyor/db';

/** A stored log line as GET /tasks/{id}/logs and the `log` live event show it. */
export const toLogView = (row: TaskLogRow): TaskLogLine => ({
  seq: Number(row.seq),
  at: new Date(row.at).toISOString(),
  attempt: row.attempt,
  level: row.level,
  message: row.message,
  fields: row.fields,
});
