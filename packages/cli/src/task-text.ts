import type { Task, TaskView } from '@conveyor/client';

const json = (value: unknown) => JSON.stringify(value);

/** A task read whole, as labelled lines for a person. */
export function taskText(task: Task | TaskView): string {
  const full = task as Partial<Task> & TaskView;
  const lines: [string, string | null | undefined][] = [
    ['task_id', task.task_id],
    ['task', task.task],
    ['status', `${task.status} ${task.progress}%${task.message ? ` ${task.message}` : ''}`],
    ['attempts', `${task.attempts} of ${task.max_attempts}`],
    ['created', task.created_at],
    ['run_at', task.run_at],
    ['started', task.started_at],
    ['finished', task.finished_at],
    ['next_attempt', task.next_attempt_at],
    ['priority', task.priority === null ? null : String(task.priority)],
    ['schedule', task.schedule_id],
    ['tags', task.tags.length ? task.tags.join(', ') : null],
    ['metadata', task.metadata ? json(task.metadata) : null],
    ['payload', full.payload ? json(full.payload) : null],
    ['result', full.result !== undefined && full.result !== null ? json(full.result) : null],
    ['error', full.error ? `${full.error.type}: ${full.error.message}` : null],
  ];
  const shown = lines.filter(([, value]) => value !== null && value !== undefined) as [string, string][];
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** The attempts so far, one line each. */
export function attemptLines(task: TaskView): string[] {
  return (task.attempt_history ?? []).map((a) => {
    const ended = a.finished_at ? ` → ${a.finished_at}` : ' (running)';
    return `attempt ${a.attempt} ${a.outcome}: ${a.started_at}${ended}${a.error ? ` ${a.error.type}: ${a.error.message}` : ''}`;
  });
}

/** Why a task that ended without success did, for stderr. */
export function failureText(task: Task): string {
  const why = task.error ? `${task.error.type}: ${task.error.message}` : (task.message ?? 'no error recorded');
  return `Task ${task.task_id} (${task.task}) ended ${task.status} after ${task.attempts} attempt${task.attempts === 1 ? '' : 's'}: ${why}`;
}
