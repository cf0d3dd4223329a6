import type { IngestionRunView, IngestionSourceName, IngestionSourceView } from '@conveyor/contracts';
import type { IngestionRunRow, IngestionSourceState, ListedIngestionRecord } from '@conveyor/db';

// Ingestion's rows as the admin API shows them: times in ISO 8601 UTC, nothing else changed.

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toSourceView(s: IngestionSourceState): IngestionSourceView {
  return {
    source: s.source as IngestionSourceName,
    enabled: s.enabled,
    cadence: s.cadence,
    next_run_at: iso(s.next_run_at),
    watermark: iso(s.watermark),
    last_success_at: iso(s.last_success_at),
    last_error: s.last_error ? { message: s.last_error.message, at: s.last_error.at.toISOString() } : null,
    record_count: s.record_count,
  };
}

export function toRunView(r: IngestionRunRow): IngestionRunView {
  return {
    run_id: r.id,
    source: r.source,
    task_id: r.task_id,
    status: r.status,
    window_from: iso(r.window_from),
    window_to: iso(r.window_to),
    cursor: r.cursor,
    started_at: r.started_at.toISOString(),
    finished_at: iso(r.finished_at),
    pages: r.pages,
    fetched: r.fetched,
    inserted: r.inserted,
    updated: r.updated,
    unchanged: r.unchanged,
    retries: r.retries,
    rate_limit_waits: r.rate_limit_waits,
    error: r.error,
  };
}

export function toRecordView(r: ListedIngestionRecord) {
  return {
    external_id: r.external_id,
    occurred_on: r.occurred_on,
    country: r.country,
    series_id: r.series_id,
    value: r.value,
    title: r.title,
    raw: r.raw,
    first_seen_at: r.first_seen_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}
