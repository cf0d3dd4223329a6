import type { TaskLogStreamEvent, TaskStreamEvent } from '@conveyor/client';
import type { Output } from './output';

const BAR_WIDTH = 24;

/** One event as a plain line: time, status, progress, message, attempt. */
export function eventLine(event: Pick<TaskStreamEvent, 'at' | 'status' | 'progress' | 'message' | 'attempts'>): string {
  const attempt = event.attempts > 0 ? ` (attempt ${event.attempts})` : '';
  return `${event.at} ${event.status} ${event.progress}%${event.message ? ` ${event.message}` : ''}${attempt}`;
}

/** One line of the task's own log (ctx.log) as `tasks logs` prints it. */
export function logLine(line: Pick<TaskLogStreamEvent, 'at' | 'level' | 'message' | 'fields' | 'attempt'>): string {
  return `${line.at} ${line.level.toUpperCase()} ${line.message}${line.fields ? ` ${JSON.stringify(line.fields)}` : ''} (attempt ${line.attempt})`;
}

/** A bar of BAR_WIDTH cells, `percent` of them full. */
function bar(percent: number): string {
  const full = Math.round((Math.max(0, Math.min(100, percent)) / 100) * BAR_WIDTH);
  return `[${'#'.repeat(full)}${'-'.repeat(BAR_WIDTH - full)}]`;
}

/**
 * Shows a task's progress on stderr: a bar redrawn in place when stderr is a terminal, one
 * plain line per change otherwise (a log file or a pipe gets no control characters).
 */
export class ProgressView {
  private drawn = false;

  constructor(private readonly out: Output) {}

  private get live(): boolean {
    return this.out.stderr.isTTY === true;
  }

  update(event: TaskStreamEvent): void {
    if (!this.live) return this.out.note(eventLine(event));
    const columns = this.out.stderr.columns ?? 80;
    const line = `${bar(event.progress)} ${String(event.progress).padStart(3)}% ${event.status}${event.message ? ` ${event.message}` : ''}`;
    // \r and "erase line" redraw over the last state; cut to the width so it never wraps.
    this.out.draw(`\r\x1b[2K${line.slice(0, Math.max(10, columns - 1))}`);
    this.drawn = true;
  }

  /** A line of its own (on a terminal, below the bar). */
  note(text: string): void {
    this.finish();
    this.out.note(text);
  }

  /** Ends the bar's line, so what comes next starts on a new one. */
  finish(): void {
    if (this.drawn) this.out.draw('\n');
    this.drawn = false;
  }
}
