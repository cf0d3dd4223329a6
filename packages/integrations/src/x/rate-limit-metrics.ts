import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Why an acquire was refused: the window is spent, its first call's answer is awaited, or it is
 * spent only by calls in flight whose answers may give calls back.
 */
export type XRateWaitReason = 'spent' | 'probe' | 'in_flight';

/**
 * The shared X limiter's metrics, on the app's registry (none: counted but not exported, as
 * the cost tracker's). Limiters on the same registry share them: a second one reuses what the
 * first registered instead of failing to register the same names.
 */
export function xRateMetrics(registry?: Registry) {
  const registers = registry ? [registry] : [];
  const reuse = <T>(name: string, make: () => T): T => (registry?.getSingleMetric(name) as T | undefined) ?? make();
  return {
    /**
     * Labelled by Conveyor's x_accounts.id (never a token or handle): one series per account
     * and endpoint called, so the series grow with the accounts this worker serves (ten
     * endpoints each at most).
     */
    remaining: reuse(
      'conveyor_x_rate_remaining',
      () =>
        new Gauge({
          name: 'conveyor_x_rate_remaining',
          help: "Calls left in the X account's current rate-limit window for the endpoint, as the shared limiter counts them (after X's headers)",
          labelNames: ['account', 'endpoint'],
          registers,
        }),
    ),
    waits: reuse(
      'conveyor_x_rate_waits_total',
      () =>
        new Counter({
          name: 'conveyor_x_rate_waits_total',
          help: "X calls the shared limiter refused before sending (the task waits): the window spent, its first call's answer awaited, or answers of calls in flight awaited",
          labelNames: ['endpoint', 'tier', 'reason'],
          registers,
        }),
    ),
    limited: reuse(
      'conveyor_x_rate_limited_total',
      () =>
        new Counter({
          name: 'conveyor_x_rate_limited_total',
          help: 'Answers of X with status 429 (rate limit exceeded)',
          labelNames: ['endpoint', 'tier'],
          registers,
        }),
    ),
  };
}
export type XRateMetrics = ReturnType<typeof xRateMetrics>;
