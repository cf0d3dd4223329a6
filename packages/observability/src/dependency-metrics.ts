import { Gauge, type Registry } from 'prom-client';
import { type ReadinessCheck, runReadinessChecks } from './health-server';

/**
 * `conveyor_dependency_up{dependency}`: 1 when the dependency answers its readiness check, 0
 * when it does not (or not within the checks' timeout), run when /metrics is scraped: the same
 * checks as /readyz, so an alert on Postgres or Redis being unreachable sees what the probes see.
 */
export function registerDependencyGauge(registry: Registry, checks: Record<string, ReadinessCheck>): void {
  new Gauge({
    name: 'conveyor_dependency_up',
    help: 'Whether a dependency (postgres, redis) answered its readiness check at scrape time: 1 up, 0 down',
    labelNames: ['dependency'],
    registers: [registry],
    async collect() {
      const report = await runReadinessChecks(checks);
      for (const [dependency, result] of Object.entries(report.checks) as [string, { ok: boolean }][]) this.set({ dependency }, result.ok ? 1 : 0);
    },
  });
}
