import { Counter, type Registry } from 'prom-client';
import type { FetchRefusalReason } from './fetch-errors';

/**
 * One counter for the whole process, so every safeFetch counts without a registry passed to
 * each call; an app shows it on its /metrics by registerFetchMetrics(registry) at start.
 */
const METRIC = 'conveyor_fetch_refused_total';
const refusals = new Counter<'reason'>({
  name: METRIC,
  help: 'URL fetches refused or failed, by reason (private_address, metadata, scheme, too_large, content_type, status, timeout, …)',
  labelNames: ['reason'],
  registers: [],
});

/** Adds conveyor_fetch_refused_total to an app's registry (once; a second call changes nothing). */
export function registerFetchMetrics(registry: Registry): void {
  if (!registry.getSingleMetric(METRIC)) registry.registerMetric(refusals);
}

export function countRefusal(reason: FetchRefusalReason): void {
  refusals.inc({ reason });
}
