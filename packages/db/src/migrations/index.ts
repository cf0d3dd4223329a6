import type { Migration } from 'kysely';
import * as m0001 from './2026_11_25_0001_tenants_keys_tasks';
import * as m0002 from './2026_11_25_0002_lifecycle';
import * as m0003 from './2026_11_25_0003_budgets';
import * as m0004 from './2026_11_25_0004_schedules';
import * as m0005 from './2026_11_25_0005_attempt_history_in_row';
import * as m0006 from './2026_11_26_0006_replay_resets_lost_attempts';
import * as m0007 from './2026_12_04_0007_x_accounts_posts';
import * as m0008 from './2026_12_05_0008_post_publishing';
import * as m0009 from './2026_12_05_0009_ingestion';
import * as m0010 from './2026_12_05_0010_ingestion_sources';
import * as m0011 from './2026_12_05_0011_datasets';
import * as m0012 from './2026_12_05_0012_task_tokens';
import * as m0013 from './2026_12_05_0013_task_tags_metadata';
import * as m0014 from './2026_12_05_0014_task_runs';
import * as m0015 from './2026_12_05_0015_task_logs';
import * as m0016 from './2026_12_05_0016_usage_periods';
import * as m0017 from './2026_12_05_0017_budget_alerts';
import * as m0018 from './2026_12_05_0018_queue_overview_dead_letter_ack';
import * as m0019 from './2026_12_05_0019_console_sessions';
import * as m0020 from './2026_12_05_0020_task_claims_heap_only';
import * as m0021 from './2026_12_05_0021_inline_period_functions';
import * as m0022 from './2026_12_05_0022_fewer_task_index_entries';
import * as m0023 from './2026_12_05_0023_one_index_for_open_tasks';
import * as m0024 from './2026_12_06_0024_plan_action_limits';

/**
 * Every migration, in order. Listed by hand rather than read from the directory so that
 * compiled output and bundles carry exactly these.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '2026_11_25_0001_tenants_keys_tasks': m0001,
  '2026_11_25_0002_lifecycle': m0002,
  '2026_11_25_0003_budgets': m0003,
  '2026_11_25_0004_schedules': m0004,
  '2026_11_25_0005_attempt_history_in_row': m0005,
  '2026_11_26_0006_replay_resets_lost_attempts': m0006,
  '2026_12_04_0007_x_accounts_posts': m0007,
  '2026_12_05_0008_post_publishing': m0008,
  '2026_12_05_0009_ingestion': m0009,
  '2026_12_05_0010_ingestion_sources': m0010,
  '2026_12_05_0011_datasets': m0011,
  '2026_12_05_0012_task_tokens': m0012,
  '2026_12_05_0013_task_tags_metadata': m0013,
  '2026_12_05_0014_task_runs': m0014,
  '2026_12_05_0015_task_logs': m0015,
  '2026_12_05_0016_usage_periods': m0016,
  '2026_12_05_0017_budget_alerts': m0017,
  '2026_12_05_0018_queue_overview_dead_letter_ack': m0018,
  '2026_12_05_0019_console_sessions': m0019,
  '2026_12_05_0020_task_claims_heap_only': m0020,
  '2026_12_05_0021_inline_period_functions': m0021,
  '2026_12_05_0022_fewer_task_index_entries': m0022,
  '2026_12_05_0023_one_index_for_open_tasks': m0023,
  '2026_12_06_0024_plan_action_limits': m0024,
};
