import type { QueueWindow, QueuesResponse } from '@conveyor/client';
import { Command, Option } from 'commander';
import { table } from '../table';
import type { Action } from './action';

const STATUSES = ['PENDING', 'STARTED', 'PROGRESS', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED'] as const;
const seconds = (ms: number | null) => (ms === null ? null : `${Math.round(ms / 1000)}s`);

function queuesText(overview: QueuesResponse): string {
  const rows = overview.queues.map((q) => {
    const done = q.series.reduce((n, b) => ({ succeeded: n.succeeded + b.succeeded, failed: n.failed + b.failed }), { succeeded: 0, failed: 0 });
    return [q.queue, ...STATUSES.map((s) => q.counts[s]), seconds(q.oldest_waiting_age_ms), done.succeeded, done.failed];
  });
  return table(['QUEUE', ...STATUSES, 'OLDEST_WAITING', `OK_${overview.window}`, `FAILED_${overview.window}`], rows);
}

export function queuesCommand(action: Action): Command {
  return new Command('queues')
    .description("Each queue's tasks by status, its oldest waiting task and what finished over the window (with --json: the series per bucket)")
    .addOption(new Option('-w, --window <window>', 'how far back the finished counts go').choices(['1h', '6h', '24h']).default('1h'))
    .action(
      action(async (ctx, flags: { window: QueueWindow }) => {
        ctx.out.result(await ctx.conveyor().queues.list(flags.window), queuesText);
      }),
    );
}

export function workersCommand(action: Action): Command {
  return new Command('workers').description('The live worker processes: queue, concurrency, active jobs, version (admin key)').action(
    action(async (ctx) => {
      ctx.out.result(await ctx.conveyor().workers.list(), (list) =>
        table(
          ['INSTANCE', 'QUEUE', 'ACTIVE', 'CONCURRENCY', 'VERSION', 'STARTED_AT', 'HEARTBEAT_AT'],
          list.map((w) => [w.instance, w.queue, w.active, w.concurrency, w.version, w.started_at, w.heartbeat_at]),
          'No live workers.',
        ),
      );
    }),
  );
}
