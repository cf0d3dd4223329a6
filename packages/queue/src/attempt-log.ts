import { TASK_LOG_LEVELS, TASK_LOG_LIMITS, type TaskLogLevel } from '@conveyor/contracts';
import type { TaskLogBatch, TaskLogRow } from '@conveyor/db';
import { type Logger, redact } from '@conveyor/observability';
import type { TaskEventPublisher } from './task-events';

/** Where an attempt's lines are stored: one call per flush (TaskWorker's default: insertTaskLogs). */
export type TaskLogSink = (batch: TaskLogBatch) => Promise<{ rows: TaskLogRow[]; full: boolean }>;

/** ctx.log: a line of what the handler is doing, kept with the task (GET /tasks/{id}/logs). */
export type TaskLogFn = (level: TaskLogLevel, message: string, fields?: Record<string, unknown>) => void;

export interface AttemptLogOptions {
  sink?: TaskLogSink;
  events?: TaskEventPublisher;
  /** The attempt's logger (its task, tenant and attempt on every line). */
  logger: Logger;
  /** Milliseconds a line waits in the buffer at most. */
  flushMs?: number;
  /** Lines that make a flush at once. */
  flushLines?: number;
}

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/** A line's fields as stored: redacted, a JSON object of at most fieldsBytes (else a note saying how large they were). */
function capFields(fields: unknown): Record<string, unknown> | null {
  if (fields === undefined || fields === null) return null;
  const object = typeof fields === 'object' && !Array.isArray(fields) ? fields : { value: fields };
  let text: string | undefined;
  try {
    text = JSON.stringify(redact(object));
  } catch {
    return { fields_dropped: 'not serialisable as JSON' };
  }
  if (text === undefined) return null;
  const bytes = byteLength(text);
  if (bytes > TASK_LOG_LIMITS.fieldsBytes) return { fields_dropped: `${bytes} bytes of JSON, more than ${TASK_LOG_LIMITS.fieldsBytes}` };
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * The log of one attempt (ctx.log). Each line is capped (message length, fields size),
 * redacted, written at once to the worker's logger with the task's ids, and buffered for
 * Postgres: the buffer is written in one statement every flushMs or every flushLines lines,
 * and at the attempt's end, never one round trip per line. Past the task's cap lines are
 * dropped (the store adds one marker line). A failed write loses its lines, never the attempt.
 * Stored lines are published as `log` events for live streams.
 */
export class AttemptLog {
  private buffer: TaskLogBatch['lines'] = [];
  private accepted = 0;
  private overflowed = false;
  private full = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ref: { taskId: string; tenantId: string; attempt: number },
    private readonly options: AttemptLogOptions,
  ) {}

  readonly log: TaskLogFn = (level, message, fields) => {
    const safeLevel: TaskLogLevel = (TASK_LOG_LEVELS as readonly string[]).includes(level) ? level : 'info';
    const text = redact(String(message).slice(0, TASK_LOG_LIMITS.messageChars)) as string;
    const capped = capFields(fields);
    this.options.logger[safeLevel](text, { handler_log: true, ...(capped ? { fields: capped } : {}) });
    if (!this.options.sink || this.full) return;
    if (this.accepted >= TASK_LOG_LIMITS.linesPerTask) {
      if (!this.overflowed) {
        this.overflowed = true;
        this.schedule();
      }
      return;
    }
    this.accepted += 1;
    this.buffer.push({ level: safeLevel, message: text, fields: capped, at: new Date().toISOString() });
    if (this.buffer.length >= (this.options.flushLines ?? 50)) void this.flush();
    else this.schedule();
  };

  private schedule(): void {
    this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs ?? 250);
  }

  /** Writes what is buffered (after any write under way); resolves once it is stored or given up. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const sink = this.options.sink;
    if (!sink) return this.writing;
    const lines = this.buffer;
    this.buffer = [];
    const overflowed = this.overflowed;
    if (lines.length === 0 && !overflowed) return this.writing;
    this.writing = this.writing.then(async () => {
      try {
        const { rows, full } = await sink({ ...this.ref, lines, overflowed });
        if (full) this.full = true;
        for (const row of rows) this.options.events?.publishLog(this.ref.taskId, row);
      } catch (error) {
        this.options.logger.warn('could not store the task log lines; they are in this log only', { lines: lines.length, error });
      }
    });
    return this.writing;
  }
}
