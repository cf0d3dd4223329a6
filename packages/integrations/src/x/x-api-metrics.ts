import { Counter, Histogram, register, type Registry } from 'prom-client';

/** The X client's metrics. Labels are the endpoint and the answer's status only: never an account. */
export interface XApiMetrics {
  requests: Counter<'endpoint' | 'status'>;
  duration: Histogram<'endpoint'>;
}

const REQUESTS = 'conveyor_x_api_requests_total';
const DURATION = 'conveyor_x_api_request_duration_seconds';

/**
 * The metrics on `registry` (prom-client's default one when none is given). Several clients in
 * one process (one per worker, tests) share them: a metric already registered is reused, since
 * prom-client refuses to register a name twice.
 */
export function xApiMetrics(registry: Registry = register): XApiMetrics {
  const requests =
    (registry.getSingleMetric(REQUESTS) as Counter<'endpoint' | 'status'> | undefined) ??
    new Counter({
      name: REQUESTS,
      help: 'Calls to the X API by endpoint and HTTP status (timeout, network or aborted when no answer came)',
      labelNames: ['endpoint', 'status'],
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric(DURATION) as Histogram<'endpoint'> | undefined) ??
    new Histogram({
      name: DURATION,
      help: 'Time of one X API call, from sending it to the end of its answer',
      labelNames: ['endpoint'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return { requests, duration };
}
