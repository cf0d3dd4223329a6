import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { freePort, startNode, waitFor } from '@conveyor/testkit';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { LlmSimulator } from '@conveyor/sim';
import { APPS, AppStack, REPO_ROOT as ROOT, type RunningProcess } from '@conveyor/testkit';
import { exportedMetricNames, metricsTheKitUses, promqlMetricNames } from './monitoring-kit';
import { clientOf } from './support';

let stack: AppStack;
const sim = new LlmSimulator();
beforeAll(async () => {
  // The LLM workers check their routed models against the provider at start: the simulator.
  const baseUrl = await sim.listen();
  stack = await AppStack.create({
    template: { key: schemaFingerprint(), migrate: migrateUrl },
    env: { OPENROUTER_BASE_URL: baseUrl, OPENROUTER_API_KEY: 'sk-sim' },
  });
}, 30_000);
afterAll(async () => {
  await stack.stop();
  await sim.close();
}, 30_000);

describe('every app is its own process', () => {
  // The seven apps at once, started for the tests of this block; the last of them stops them
  // (they must not stay: they would serve the later tests' tasks).
  describe('all seven at once', () => {
    let procs: RunningProcess[] = [];
    /** Each app's /metrics once it was ready. */
    const metrics = new Map<string, string>();

    beforeAll(async () => {
      const ports = await Promise.all(APPS.map(() => freePort()));
      const starts = await Promise.allSettled(APPS.map((app, i) => stack.start(app, ports[i]!)));
      procs = starts.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      try {
        for (const s of starts) if (s.status === 'rejected') throw s.reason;
        for (const [i, app] of APPS.entries()) {
          // Ready once its Postgres and Redis connections are up, which may lag /healthz a little;
          // then every collector can read.
          await waitFor(async () => ((await fetch(`http://127.0.0.1:${ports[i]}/readyz`)).status === 200 ? true : undefined), `${app} /readyz`);
          metrics.set(app, await (await fetch(`http://127.0.0.1:${ports[i]}/metrics`)).text());
        }
      } catch (error) {
        await Promise.all(stack.processes.map((p) => p.stop('SIGKILL')));
        throw error;
      }
    }, 300_000);
    // Whatever the last test left running (it failed before its SIGTERM).
    afterAll(() => Promise.all(procs.map((p) => p.stop('SIGKILL'))), 30_000);

    const exported = () => new Map(APPS.map((app) => [app, exportedMetricNames(metrics.get(app) ?? '')]));

    it('export every metric the alerts and the dashboard of infra/monitoring use (a name no app exports is named with where it is used)', () => {
      const all = new Set([...exported().values()].flatMap((names) => [...names]));
      const missing = [...metricsTheKitUses(ROOT).entries()]
        .filter(([name]) => !all.has(name))
        .map(([name, where]) => `${name} (used in ${[...new Set(where)].join('; ')})`);
      expect(missing).toEqual([]);
    });

    it('the metrics added for the alerts come from the apps that know them', () => {
      const names = exported();
      const has = (app: string, metric: string) => names.get(app as (typeof APPS)[number])?.has(metric) ?? false;
      for (const app of APPS) expect({ app, dependencyUp: has(app, 'conveyor_dependency_up') }).toEqual({ app, dependencyUp: true });
      expect({
        oldestWaiting: has('scheduler', 'conveyor_queue_oldest_waiting_seconds'),
        lag: has('scheduler', 'conveyor_scheduler_lag_seconds'),
        deadLetters: APPS.filter((a) => a.startsWith('worker-')).every((a) => has(a, 'conveyor_dead_letters_total')),
        refusals: has('worker-generation', 'conveyor_budget_refusals_total') && has('worker-analysis', 'conveyor_budget_refusals_total'),
      }).toEqual({ oldestWaiting: true, lag: true, deadLetters: true, refusals: true });
    });

    it('a metric no app exports is reported (the check can fail)', () => {
      const all = new Set([...exported().values()].flatMap((names) => [...names]));
      const names = promqlMetricNames('sum(rate(conveyor_no_such_metric_total[5m])) / sum(rate(conveyor_task_attempts_finished_total[5m]))');
      expect(names.filter((n) => !all.has(n))).toEqual(['conveyor_no_such_metric_total']);
    });

    // Last of the block: it stops them.
    it('all seven start, serve /healthz, /readyz and /metrics on their own ports, and exit 0 on SIGTERM', async () => {
      expect(procs).toHaveLength(APPS.length);
      for (const app of APPS) expect(metrics.get(app)).toContain(`service="${app}"`);
      const codes = await Promise.all(procs.map((p) => p.stop('SIGTERM')));
      expect(codes).toEqual(APPS.map(() => 0));
      // Every line an app wrote is JSON with its service name.
      for (const [i, app] of APPS.entries()) {
        const lines = procs[i]!.output().split('\n').filter(Boolean);
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(JSON.parse(line)).toMatchObject({ service: app });
      }
    }, 300_000);
  });

  it('a port another server holds is not taken for the app serving: the start fails and says the app exited', async () => {
    // Another process answering /healthz 200 on the port (a free port taken again before the
    // app listened) must not pass for the app, which dies of EADDRINUSE behind it.
    const squatter = http.createServer((_req, res) => res.end('{"status":"ok"}'));
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as AddressInfo;
    try {
      await expect(stack.start('worker-monitoring', port)).rejects.toThrow(/worker-monitoring exited \(1\) before serving \/healthz[\s\S]*EADDRINUSE/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 180_000);

  it('an LLM worker refuses to start when a routed model is missing from the provider, and names it', async () => {
    const proc = startNode(path.join(ROOT, 'apps', 'worker-analysis', 'dist', 'main.js'), {
      ...stack.env,
      WORKER_PORT: String(await freePort()),
      INFERENCE_ROUTES: JSON.stringify({ score_post: { model: 'vendor/retired-model' } }),
      MODEL_PRICES: JSON.stringify({ 'vendor/retired-model': { prompt: 1, completion: 1 } }),
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/routed models missing from the provider: vendor\/retired-model/);
  }, 180_000);

  it.each(['api', 'worker-monitoring', 'scheduler'] as const)(
    '%s refuses to start on bad configuration and names the variable',
    async (app) => {
      const proc = startNode(path.join(ROOT, 'apps', app, 'dist', 'main.js'), { ...stack.env, DATABASE_URL: 'not a url', REDIS_URL: '' });
      const code = await proc.exited;
      expect(code).toBe(78);
      expect(proc.output()).toMatch(/DATABASE_URL: must be a postgres/);
      expect(proc.output()).toMatch(/REDIS_URL/);
    },
    180_000,
  );

  it('a worker given SIGTERM during a task finishes it before exiting', async () => {
    const port = await freePort();
    const apiPort = await freePort();
    const [worker, , tenant] = await Promise.all([stack.start('worker-monitoring', port), stack.start('api', apiPort), stack.createTenant('drain')]);
    const conveyor = clientOf(apiPort, tenant.api_key);
    // 2.5 s of steps: long enough for the status poll below to see it running on a busy machine.
    const { id: task_id } = await conveyor.tasks.submit('test_task', { message: 'drain', steps: 10, step_ms: 250 });
    const status = async () => (await conveyor.tasks.get(task_id)).status;
    await waitFor(async () => ((await status()) === 'PROGRESS' ? true : undefined), 'the task to be running');
    const code = await worker.stop('SIGTERM');
    expect({ code, status: await status() }).toEqual({ code: 0, status: 'SUCCESS' });
    // The signal came while the task ran: the worker began shutting down before its attempt ended.
    const lines = worker.output().split('\n');
    const shutdown = lines.findIndex((l) => l.includes('"message":"shutting down"'));
    const ended = lines.findIndex((l) => l.includes('"message":"attempt ended"') && l.includes(task_id));
    expect(shutdown).toBeGreaterThanOrEqual(0);
    expect(ended).toBeGreaterThan(shutdown);
  }, 300_000);
});
