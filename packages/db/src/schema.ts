import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type {
  AttemptOutcome,
  ColumnView,
  DatasetFormat,
  IngestionRunStatus,
  PostStatus,
  Program,
  RequeueKind,
  TaskLogLevel,
  TaskOrigin,
  TaskStatus,
} from '@conveyor/contracts';

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
  /** What the submitter tagged the task with (at most 10). */
  tags: ColumnType<string[], string[] | undefined, string[]>;
  /** The submitter's own JSON object, kept and shown, never read by Conveyor. */
  metadata: Json | null;
  /** How the row came to be (TASK_ORIGINS), set at insert. */
  origin: ColumnType<TaskOrigin, TaskOrigin | undefined, TaskOrigin>;
  /** The instance id of the worker that claimed the current attempt. */
  worker: string | null;
  /** 'replay' or 'retry' once a failed task was put back in place. */
  requeued_by: RequeueKind | null;
}

/** A line a handler wrote with ctx.log. */
export interface TaskLogsTable {
  seq: ColumnType<string, never, never>;
  task_id: string;
  tenant_id: string;
  attempt: number;
  level: TaskLogLevel;
  message: string;
  fields: Json | null;
  at: Timestamp;
}

export type MisfirePolicyName = 'skip' | 'fire_once' | 'fire_all';

/** A short-lived token that reads one task (?token= on its GET routes); see task-tokens.ts. */
export interface TaskTokensTable {
  /** sha256 of the whole token, hex; the token itself is never stored. */
  token_hash: string;
  task_id: string;
  /** The task's tenant: the token speaks for it. */
  tenant_id: string;
  expires_at: Timestamp;
  created_at: Timestamp;
}

/** A console sign-in: the cookie conveyor_session holds its id; see console-sessions.ts. */
export interface ConsoleSessionsTable {
  /** sha256 of the whole session id, hex; the id itself is never stored. */
  session_hash: string;
  /** The API key signed in with: the session speaks for it while it is not revoked. */
  api_key_id: string;
  created_at: Timestamp;
  /** Moves forward on use (sliding), never past absolute_expires_at. */
  expires_at: Timestamp;
  absolute_expires_at: Timestamp;
}

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

/** Listed in @conveyor/contracts (ATTEMPT_OUTCOMES), which the API's task view reads. */
export type { AttemptOutcome };

/** One finished attempt, as stored in tasks.attempt_history (times as Postgres prints them). */
export interface AttemptRecord {
  attempt: number;
  started_at: string;
  finished_at: string | null;
  outcome: AttemptOutcome;
  error: { type: string; message: string } | null;
  /** The instance id of the attempt's worker (absent in attempts recorded before migration 0014). */
  worker?: string | null;
}

export interface DeadLettersTable {
  task_id: string;
  tenant_id: string;
  task: string;
  queue: string;
  error: Json;
  attempts: number;
  failed_at: Timestamp;
  /** When the tenant discarded it (DELETE /dead-letters/{id}): no longer listed; null while open. */
  acknowledged_at: NullableTimestamp;
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
  /** The period of the budget the call was charged to (the reservation's). */
  period_start: Timestamp;
  created_at: Timestamp;
  /** The task's attempt the call was made in (null: no task, or recorded before migration 0014). */
  attempt: number | null;
}

/** A tenant's budget alert webhook: where, at which percentages of the cap, and the HMAC key (a secret). */
export interface BudgetAlertsTable {
  tenant_id: string;
  url: string;
  thresholds: number[];
  secret: string;
  created_at: Timestamp;
}

/** One threshold crossed in one period: recorded once by the settle that crossed it, sent by the scheduler. */
export interface BudgetAlertDeliveriesTable {
  id: Generated<string>;
  tenant_id: string;
  period_start: Timestamp;
  threshold: number;
  cap_usd: Money;
  spent_usd: Money;
  status: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: Timestamp;
  delivered_at: Timestamp | null;
  created_at: Timestamp;
  /** The task's attempt the call was made in (null: no task, or recorded before migration 0014). */
  attempt: number | null;
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

/** X's API access levels; what each allows (rate limits, metrics) is the X client's business. */
export type XApiTier = 'free' | 'basic' | 'pro' | 'enterprise';

export interface XAccountsTable {
  id: Generated<string>;
  tenant_id: string;
  /** Without the '@'; unique per tenant regardless of case, as on X. */
  handle: string;
  api_tier: XApiTier;
  /** The name under which the OAuth 2.0 user token is kept in a secret store; never the token. */
  token_secret_ref: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The publish state machine's states, listed in @conveyor/contracts (packages/db/src/posts/transitions.ts has the moves). */
export type { PostStatus };

/** Why the last attempt to publish failed, as posts.last_error keeps it. */
export interface PostError {
  type: string;
  message: string;
}

export interface PostsTable {
  id: Generated<string>;
  tenant_id: string;
  account_id: string;
  text: string;
  /** Where the media to attach are (as the client gave them), in order. */
  media_refs: ColumnType<unknown[], string | undefined, string>;
  /** X's ids of the media once uploaded, in the order of media_refs. */
  media_ids: ColumnType<string[], string[] | undefined, string[]>;
  status: Generated<PostStatus>;
  /** When a scheduled post is due (required while scheduled). */
  scheduled_at: NullableTimestamp;
  x_post_id: string | null;
  published_at: NullableTimestamp;
  last_error: Json<PostError> | null;
  /** Claims for publishing so far. */
  attempts: Generated<number>;
  /**
   * Set by the claim for publishing, before X is called, and kept until an outcome clears it:
   * while set on a post that is not published, a call to X may have happened.
   */
  publish_request_id: string | null;
  /** When that request was recorded. */
  publish_started_at: NullableTimestamp;
  /** The task, and its attempt, that last claimed the post for publishing. */
  publishing_task_id: string | null;
  publishing_attempt: number | null;
  correlation_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MetricsSnapshotsTable {
  tenant_id: string;
  post_id: string;
  /** How long after publication it was taken: a number and m, h or d ('1h', '24h', '7d'). */
  stage: string;
  /** Each null when X did not report it. */
  impressions: number | null;
  likes: number | null;
  reposts: number | null;
  replies: number | null;
  quotes: number | null;
  bookmarks: number | null;
  captured_at: Timestamp;
}

/** One record of an ingestion source, as upserted on (source, external_id). */
export interface IngestionRecordsTable {
  source: string;
  external_id: string;
  content_hash: string;
  raw: Json<unknown>;
  occurred_on: ColumnType<string | null, string | null | undefined, string | null>;
  country: string | null;
  series_id: string | null;
  value: number | null;
  title: string | null;
  first_seen_at: Timestamp;
  updated_at: Timestamp;
}

/** running, then one outcome: succeeded, failed or deferred (listed in @conveyor/contracts). */
export type { IngestionRunStatus };

/** The audit trail: one row per run of a source. */
export interface IngestionRunsTable {
  id: Generated<string>;
  source: string;
  task_id: string | null;
  window_from: NullableTimestamp;
  window_to: NullableTimestamp;
  cursor: string | null;
  status: Generated<IngestionRunStatus>;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  pages: Generated<number>;
  fetched: Generated<number>;
  inserted: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  retries: Generated<number>;
  rate_limit_waits: Generated<number>;
  error: Json<{ type: string; message: string }> | null;
}

/** The state of one ingestion source: its system schedule (enabled, cadence) and its watermark. */
export interface IngestionSourcesTable {
  source: string;
  /** The system schedule that runs it; null only if that schedule was deleted by hand. */
  schedule_id: string | null;
  /** Where the next incremental run starts; null before the first successful run. */
  watermark: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A chat session over a dataset: a conversation (same id) and a tree of versions of its data. */
export interface DatasetSessionsTable {
  /** Also the id of the session's conversation, whose chat_messages are its chat. */
  id: string;
  tenant_id: string;
  name: string;
  /** The version the session looks at (one of its own nodes); null before the first upload. */
  head_node_id: string | null;
  /** The chat message's task being processed, if any: a session takes one message at a time. */
  active_task_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** bigint: pg returns it as a string; datasets/nodes.ts reads it as a number. */
type Count = ColumnType<string, number | string | undefined, number | string>;

/** What an upload was, as a root node keeps it. */
export interface UploadSource {
  format: DatasetFormat;
  filename: string | null;
  bytes: number;
}

/** One version of a session's data; its rows are in dataset_chunks. */
export interface DatasetNodesTable {
  id: string;
  session_id: string;
  tenant_id: string;
  /** The node it was made from; null for an upload (a root). */
  parent_id: string | null;
  row_count: Count;
  /** The columns in the order of every stored row's cells, with their missing values counted. */
  columns: ColumnType<ColumnView[], string | undefined, string>;
  program: Json<Program> | null;
  /** What made it, as a sentence. */
  transformation: Generated<string>;
  rows_affected: Count;
  source: Json<UploadSource> | null;
  /** The task that made it; unique, so a retried task never makes a second node. */
  task_id: string | null;
  created_at: Timestamp;
}

/** CHUNK_ROWS rows of a node (fewer in its last chunk), numbered from 0. */
export interface DatasetChunksTable {
  node_id: string;
  chunk_no: number;
  row_count: number;
  /** A JSON array of rows, each an array of cells. */
  rows: string;
}

export interface Database {
  x_accounts: XAccountsTable;
  posts: PostsTable;
  ingestion_records: IngestionRecordsTable;
  ingestion_runs: IngestionRunsTable;
  ingestion_sources: IngestionSourcesTable;
  metrics_snapshots: MetricsSnapshotsTable;
  schedules: SchedulesTable;
  tenant_budgets: TenantBudgetsTable;
  budget_reservations: BudgetReservationsTable;
  usage_tracking: UsageTrackingTable;
  budget_alerts: BudgetAlertsTable;
  budget_alert_deliveries: BudgetAlertDeliveriesTable;
  conversations: ConversationsTable;
  chat_messages: ChatMessagesTable;
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  tasks: TasksTable;
  task_tokens: TaskTokensTable;
  console_sessions: ConsoleSessionsTable;
  task_logs: TaskLogsTable;
  dead_letters: DeadLettersTable;
  dataset_sessions: DatasetSessionsTable;
  dataset_nodes: DatasetNodesTable;
  dataset_chunks: DatasetChunksTable;
}

export type DeadLetterRow = Selectable<DeadLettersTable>;
export type ScheduleRow = Selectable<SchedulesTable>;

export type TaskRow = Selectable<TasksTable>;
export type NewTask = Insertable<TasksTable>;
export type Tenant = Selectable<TenantsTable>;
export type XAccountRow = Selectable<XAccountsTable>;
export type PostRow = Selectable<PostsTable>;
export type MetricsSnapshotRow = Selectable<MetricsSnapshotsTable>;
export type IngestionRecordRow = Selectable<IngestionRecordsTable>;
export type IngestionRunRow = Selectable<IngestionRunsTable>;
export type IngestionSourceRow = Selectable<IngestionSourcesTable>;
export type DatasetSessionRow = Selectable<DatasetSessionsTable>;
