// The shapes of the public API the console reads (GET /api/v1/...), as the API documents them.
// Fields added by newer API versions are optional here, so an older API still renders.

export const TASK_STATUSES = ['PENDING', 'STARTED', 'PROGRESS', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL: readonly TaskStatus[] = ['SUCCESS', 'FAILURE', 'REVOKED'];

interface Principal {
  kind: 'tenant' | 'admin';
  tenant_id: string | null;
  tenant_name: string | null;
  plan: string | null;
}
export interface Session {
  principal: Principal;
  expires_at: string;
}
export interface Tenant {
  tenant_id: string;
  name: string;
  plan: string;
  created_at: string;
}

interface TaskError {
  type?: string;
  code?: string;
  message: string;
  stack?: string;
}
interface Attempt {
  attempt: number;
  started_at: string;
  finished_at: string | null;
  outcome: string;
  error: TaskError | null;
  worker?: string | null;
  duration_ms?: number | null;
  cost_usd?: number | null;
}
export interface Run {
  task_id: string;
  task: string;
  status: TaskStatus;
  progress: number;
  message: string | null;
  attempts: number;
  max_attempts: number;
  priority: number | null;
  created_at: string;
  run_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  next_attempt_at: string | null;
  schedule_id: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
  payload?: Record<string, unknown>;
  attempt_history?: Attempt[];
  queue?: string;
  origin?: string;
  worker?: string | null;
  cost_usd?: number | null;
}
export interface RunPage {
  tasks: Run[];
  next_cursor: string | null;
}
export interface RunResult {
  task_id: string;
  status: TaskStatus;
  result?: unknown;
  error?: TaskError | null;
}
export interface LogLine {
  seq: number;
  at: string;
  attempt: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | null;
}
export interface LogPage {
  logs: LogLine[];
  next_cursor: string | null;
}

export interface DeadLetter {
  task_id: string;
  task: string;
  queue: string;
  error: TaskError;
  attempts: number;
  failed_at: string;
  payload: Record<string, unknown>;
}
export interface DeadLetterPage {
  dead_letters: DeadLetter[];
  next_cursor: string | null;
}
export interface DeadLetterGroup {
  task: string;
  error_code: string;
  count: number;
  last_failed_at: string;
}

export interface Schedule {
  schedule_id: string;
  name: string;
  task: string;
  payload: Record<string, unknown>;
  kind: 'one_shot' | 'cron' | 'rrule';
  run_at: string | null;
  cron: string | null;
  rrule: string | null;
  dtstart: string | null;
  timezone: string;
  misfire_policy: string;
  end_at: string | null;
  enabled: boolean;
  next_run_at: string | null;
  last_run_at: string | null;
  created_at: string;
  next_fire_times: string[];
}

export interface QueueStats {
  queue: string;
  counts: Partial<Record<TaskStatus, number>> & Record<string, number>;
  oldest_waiting_age_ms: number | null;
  series: { at: string; succeeded: number; failed: number }[];
}
export interface WorkerInfo {
  instance: string;
  queue: string;
  concurrency: number;
  active: number;
  heartbeat_at: string;
  started_at: string;
  version: string;
}

export type UsageGroupBy = 'day' | 'task' | 'model' | 'campaign';
export interface UsageGroup {
  key: string;
  calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}
export interface Usage {
  period_start: string;
  period_end: string;
  cap_usd: number | null;
  spent_usd: number;
  reserved_usd: number;
  groups?: UsageGroup[];
}
export interface UsagePeriod {
  period_start: string;
  period_end: string;
  spent_usd: number;
  calls: number;
}
