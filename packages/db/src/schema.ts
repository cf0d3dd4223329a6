import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { TaskStatus } from '@conveyor/contracts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb: pg parses it on read; Kysely needs it serialised on write. */
type Json<T = unknown> = ColumnType<T, string, string>;

export type Plan = 'trial' | 'starter' | 'growth';

export interface TenantsTable {
  id: Generated<string>;
  name: string;
  plan: Plan;
  created_at: Timestamp;
  /** Billing periods are calendar months counted from this instant. */
  billing_anchor: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  /** Null for an admin key, which belongs to no tenant. */
  tenant_id: string | null;
  is_admin: Generated<boolean>;
  /** sha256 of the whole key, hex; the key itself is never stored. */
  key_hash: string;
  /** The first characters of the key, to tell keys apart in listings. */
  key_prefix: string;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface TasksTable {
  id: string;
  tenant_id: string;
  task: string;
  queue: string;
  status: Generated<TaskStatus>;
  payload: Json;
  result: Json | null;
  error: Json | null;
  progress: Generated<number>;
  message: string | null;
  /** The attempt now running or last run; 0 before the first claim. */
  attempt: Generated<number>;
  max_attempts: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  /** BullMQ priority: 0 none, else 1 (first) and up. */
  priority: Generated<number>;
  /** Not to run before this (a submission's delay). */
  run_at: NullableTimestamp;
  idempotency_key: string | null;
  /** While RETRY: when the next attempt is due. */
  next_attempt_at: NullableTimestamp;
  /** When the retention clean-up deletes a finished task. */
  expires_at: NullableTimestamp;
  /** The schedule fire that made this task, if one did. */
  schedule_id: string | null;
  planned_at: NullableTimestamp;
  /** The finished attempts, oldest first (the running one is attempt/started_at/status). */
  attempt_history: ColumnType<AttemptRecord[], string | undefined, string>;
  /** The attempt number when it was last replayed from the dead letters (0: never). */
  replayed_at_attempt: Generated<number>;
}

export type MisfirePolicyName = 'skip' | 'fire_once' | 'fire_all';

export interface SchedulesTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  kind: 'one_shot' | 'cron' | 'rrule';
  run_at: NullableTimestamp;
  cron: string | null;
  rrule: string | null;
  /** Local wall time of an RRULE's first occurrence, "YYYY-MM-DDTHH:mm[:ss]". */
  dtstart: string | null;
  timezone: string;
  task: string;
  payload: Json;
  enabled: Generated<boolean>;
  misfire_policy: Generated<MisfirePolicyName>;
  end_at: NullableTimestamp;
  next_run_at: NullableTimestamp;
  last_run_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type AttemptOutcome = 'running' | 'success' | 'retry' | 'failure' | 'lost' | 'revoked' | 'released' | 'fenced';

/** One finished attempt, as stored in tasks.attempt_history (times as Postgres prints them). */
export interface AttemptRecord {
  attempt: number;
  started_at: string;
  finished_at: string | null;
  outcome: AttemptOutcome;
  error: { type: string; message: string } | null;
}

export interface DeadLettersTable {
  task_id: string;
  tenant_id: string;
  task: string;
  queue: string;
  error: Json;
  attempts: number;
  failed_at: Timestamp;
}

/** Money columns are numeric: pg returns them as strings, to keep every digit. */
type Money = ColumnType<string, string | number, string | number>;

export interface TenantBudgetsTable {
  tenant_id: string;
  period_start: Timestamp;
  cap_usd: Money;
  spent_usd: Money;
  reserved_usd: Money;
  alerted_pct: Generated<number>;
}

export interface BudgetReservationsTable {
  id: Generated<string>;
  tenant_id: string;
  period_start: Timestamp;
  task_id: string | null;
  amount_usd: Money;
  status: Generated<'held' | 'settled' | 'released' | 'expired'>;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface UsageTrackingTable {
  id: Generated<string>;
  tenant_id: string;
  task_id: string | null;
  action_type: string;
  campaign_id: string | null;
  model_used: string;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: Money;
  generation_id: string | null;
  created_at: Timestamp;
}

export interface ConversationsTable {
  id: Generated<string>;
  tenant_id: string;
  campaign_id: string | null;
  created_at: Timestamp;
}

export interface ChatMessagesTable {
  id: Generated<string>;
  conversation_id: string;
  role: 'user' | 'assistant';
  content: string;
  task_id: string | null;
  created_at: Timestamp;
}

export interface Database {
  schedules: SchedulesTable;
  tenant_budgets: TenantBudgetsTable;
  budget_reservations: BudgetReservationsTable;
  usage_tracking: UsageTrackingTable;
  conversations: ConversationsTable;
  chat_messages: ChatMessagesTable;
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  tasks: TasksTable;
  dead_letters: DeadLettersTable;
}

export type DeadLetterRow = Selectable<DeadLettersTable>;
export type ScheduleRow = Selectable<SchedulesTable>;

export type TaskRow = Selectable<TasksTable>;
export type NewTask = Insertable<TasksTable>;
export type Tenant = Selectable<TenantsTable>;
