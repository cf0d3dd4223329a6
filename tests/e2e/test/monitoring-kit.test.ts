import fs from 'node:fs';
import path from 'node:path';
import { APPS as REGISTRY } from '@conveyor/config';
import { APPS, REPO_ROOT } from '@conveyor/testkit';
import { parseAllDocuments } from 'yaml';
import { MONITORING_DIR, bracketsBalance, exportedMetricNames, metricsTheKitUses, promqlMetricNames, readYaml, rulesOf } from './monitoring-kit';

// The monitoring kit (infra/monitoring/): every scrape job is an app of the registry on its
// port, and the rule file has the shape Prometheus loads (promtool is not installed here, so
// the structure is checked instead). That every metric an alert or a dashboard panel uses is
// exported by some app's /metrics is checked against the seven apps apps-lifecycle.test.ts
// starts (metricsTheKitUses).

const dir = MONITORING_DIR(REPO_ROOT);
const alerts = readYaml(path.join(dir, 'alerts.yml'));
const rules = rulesOf(alerts);
const dashboard = JSON.parse(fs.readFileSync(path.join(dir, 'grafana', 'conveyor-dashboard.json'), 'utf8'));
/** Names the rule file records (level:metric:operations). */
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));

describe('reading PromQL', () => {
  it('finds the metric names of an expression, not its functions, labels, keywords, ranges or variables', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.95, sum by (le, queue) (rate(a_seconds_bucket{queue=~"$queue",status!="5.."}[$__rate_interval]))) > 0.5 and on (queue) b_total offset 5m unless c:recorded',
      ),
    ).toEqual(['a_seconds_bucket', 'b_total', 'c:recorded']);
    expect(promqlMetricNames('sum(rate(x_total[5m])) by (job) / ignoring (le) group_left (task) y')).toEqual(['x_total', 'y']);
    expect(promqlMetricNames('label_values(conveyor_queue_jobs, queue)')).toEqual(['conveyor_queue_jobs']);
    expect(promqlMetricNames('count by (job) (conveyor_dependency_up{dependency="postgres"} == 0) > 0')).toEqual(['conveyor_dependency_up']);
  });

  it("expands a histogram's TYPE line into its _bucket, _sum and _count series", () => {
    const names = exportedMetricNames('# HELP h_seconds x\n# TYPE h_seconds histogram\n# TYPE c_total counter\nc_total 1\n');
    expect([...names].sort()).toEqual(['c_total', 'h_seconds', 'h_seconds_bucket', 'h_seconds_count', 'h_seconds_sum']);
  });
});

describe('scrape configuration', () => {
  const registryPorts = Object.fromEntries(REGISTRY.map((a) => [a.name, a.defaultPort]));

  it('prometheus.yml (compose) has one job per app of the registry, found by its compose service name on its port', () => {
    const config = readYaml(path.join(dir, 'prometheus.yml'));
    expect(config.rule_files).toEqual(['alerts.yml']);
    const jobs = config.scrape_configs as any[];
    expect(jobs.map((j) => j.job_name).sort()).toEqual([...APPS].sort());
    const compose = readYaml(path.join(REPO_ROOT, 'docker-compose.yml'));
    for (const job of jobs) {
      expect({ job: job.job_name, path: job.metrics_path, sd: job.dns_sd_configs }).toEqual({
        job: job.job_name,
        path: '/metrics',
        sd: [{ names: [job.job_name], type: 'A', port: registryPorts[job.job_name] }],
      });
      expect(Object.keys(compose.services)).toContain(job.job_name);
    }
  });

  it('prometheus-kubernetes.yml has one job per app, keeping the pods of its Deployment on their port named http', () => {
    const config = readYaml(path.join(dir, 'prometheus-kubernetes.yml'));
    expect(config.rule_files).toEqual(['alerts.yml']);
    const jobs = config.scrape_configs as any[];
    expect(jobs.map((j) => j.job_name).sort()).toEqual([...APPS].sort());
    for (const job of jobs) {
      const keep = (label: string) => job.relabel_configs.find((r: any) => r.action === 'keep' && r.source_labels?.[0] === label)?.regex;
      expect({ job: job.job_name, role: job.kubernetes_sd_configs[0].role, name: keep('__meta_kubernetes_pod_label_app_kubernetes_io_name') }).toEqual({
        job: job.job_name,
        role: 'pod',
        name: job.job_name,
      });
      // The app's manifest: its pods carry the labels the job keeps, and its port named http is the registry's.
      const manifest = parseAllDocuments(fs.readFileSync(path.join(REPO_ROOT, 'infra', 'k8s', 'base', `${job.job_name}.yaml`), 'utf8')).map((d) => d.toJSON());
      const deployment = manifest.find((o) => o?.kind === 'Deployment');
      const labels = deployment.spec.template.metadata.labels;
      expect(labels['app.kubernetes.io/name']).toBe(job.job_name);
      expect(labels['app.kubernetes.io/part-of']).toBe(keep('__meta_kubernetes_pod_label_app_kubernetes_io_part_of'));
      const ports = deployment.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []);
      expect(ports.filter((p: any) => p.name === keep('__meta_kubernetes_pod_container_port_name'))).toEqual([
        { name: 'http', containerPort: registryPorts[job.job_name] },
      ]);
    }
  });
});

describe('alerts.yml', () => {
  it('is a rule file Prometheus loads: named groups of recording rules and alerts with an expression, a severity and notes a person can act on', () => {
    const problems: string[] = [];
    const groupNames = (alerts.groups as any[]).map((g) => g.name);
    if (new Set(groupNames).size !== groupNames.length) problems.push('group names repeat');
    for (const g of alerts.groups as any[]) if (!Array.isArray(g.rules) || g.rules.length === 0) problems.push(`group ${g.name} has no rules`);
    const alertNames = rules.flatMap((r) => (r.alert ? [r.alert] : []));
    if (new Set(alertNames).size !== alertNames.length) problems.push('alert names repeat');
    for (const r of rules) {
      const name = r.alert ?? r.record ?? '(unnamed)';
      if (Boolean(r.alert) === Boolean(r.record)) problems.push(`${name}: a rule is either an alert or a record`);
      if (typeof r.expr !== 'string' || !r.expr.trim()) problems.push(`${name}: no expr`);
      else if (!bracketsBalance(r.expr)) problems.push(`${name}: unbalanced brackets`);
      if (r.record && !/^[a-zA-Z_:][\w:]*$/.test(r.record)) problems.push(`${name}: not a metric name`);
      if (!r.alert) continue;
      if (r.for !== undefined && !/^\d+[smhd]$/.test(r.for)) problems.push(`${name}: for "${r.for}" is not a duration`);
      if (!['critical', 'warning', 'info'].includes(r.labels?.severity ?? '')) problems.push(`${name}: severity`);
      if ((r.annotations?.summary ?? '').length < 20) problems.push(`${name}: no summary`);
      if ((r.annotations?.description ?? '').length < 80) problems.push(`${name}: the description does not say what to do`);
      for (const [, job] of r.expr.matchAll(/\bjob="([^"]+)"/g)) if (!APPS.includes(job as never)) problems.push(`${name}: job "${job}" is no app`);
    }
    expect(problems).toEqual([]);
  });

  it('covers what an operator must hear of: backlog, waiting age, dead letters, budget refusals, scheduler lag, an app down, Postgres or Redis down', () => {
    const watched = (metric: string, matcher = '') =>
      rules.some((r) => r.alert && promqlMetricNames(r.expr).some((n) => n === metric || recordedFrom(n, metric)) && r.expr.includes(matcher));
    const recordedFrom = (name: string, metric: string) =>
      recorded.has(name) && rules.some((r) => r.record === name && promqlMetricNames(r.expr).includes(metric));
    expect({
      backlog: watched('conveyor_queue_jobs'),
      oldestWaiting: watched('conveyor_queue_oldest_waiting_seconds'),
      deadLetters: watched('conveyor_dead_letters_total'),
      budgetRefusals: watched('conveyor_budget_refusals_total'),
      schedulerLag: watched('conveyor_scheduler_lag_seconds'),
      appDown: watched('up', '== 0'),
      postgres: watched('conveyor_dependency_up', 'dependency="postgres"'),
      redis: watched('conveyor_dependency_up', 'dependency="redis"'),
    }).toEqual({ backlog: true, oldestWaiting: true, deadLetters: true, budgetRefusals: true, schedulerLag: true, appDown: true, postgres: true, redis: true });
  });
});

describe('the Grafana dashboard', () => {
  it('is a dashboard of unique panels, each querying the Prometheus chosen in its datasource variable', () => {
    expect(dashboard).toMatchObject({ title: 'Conveyor', uid: expect.any(String), schemaVersion: expect.any(Number) });
    const panels = (dashboard.panels as any[]).filter((p) => p.type !== 'row');
    const ids = (dashboard.panels as any[]).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.find((v: any) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of panels) {
      expect({ panel: p.title, datasource: p.datasource, queries: p.targets.length > 0 }).toEqual({
        panel: p.title,
        datasource: { type: 'prometheus', uid: '${datasource}' },
        queries: true,
      });
      for (const t of p.targets) expect({ panel: p.title, balanced: bracketsBalance(t.expr) }).toEqual({ panel: p.title, balanced: true });
    }
    // What the issue asks the dashboard to show.
    const used = metricsTheKitUses(REPO_ROOT);
    const shown = (metric: string) => [...used.entries()].some(([name, where]) => name === metric && where.some((w) => w.startsWith('dashboard')));
    for (const metric of [
      'conveyor_task_attempts_finished_total',
      'conveyor_task_duration_seconds_bucket',
      'conveyor_queue_jobs',
      'conveyor_queue_oldest_waiting_seconds',
      'conveyor_llm_spend_usd_total',
      'conveyor_budget_refusals_total',
      'conveyor_scheduler_lag_seconds',
      'conveyor_x_rate_remaining',
      'conveyor_http_request_duration_seconds_bucket',
    ]) {
      expect({ metric, shown: shown(metric) }).toEqual({ metric, shown: true });
    }
  });
});
