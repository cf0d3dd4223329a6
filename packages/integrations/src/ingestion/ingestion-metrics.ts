import { registeredCounter } from '@conveyor/observability';
import type { Registry } from 'prom-client';

/** Ingestion's Prometheus metrics, registered once per registry. */
export function ingestionMetrics(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => registeredCounter(registry, name, help, labelNames);
  return {
    runs: counter('conveyor_ingestion_runs_total', 'Ingestion runs finished, by source and outcome', ['source', 'status'] as const),
    pages: counter('conveyor_ingestion_pages_total', 'Pages fetched from a source', ['source'] as const),
    records: counter('conveyor_ingestion_records_total', 'Records upserted, by outcome (inserted, updated, unchanged)', ['source', 'outcome'] as const),
    retries: counter('conveyor_ingestion_retries_total', 'Requests retried after a 429, a 5xx or a network error', ['source'] as const),
  };
}
export type IngestionMetrics = ReturnType<typeof ingestionMetrics>;
