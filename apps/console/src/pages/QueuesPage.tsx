import { useMemo, useState } from 'react';
import { useQueues, useSession, useWorkers } from '../api/hooks';
import { actingTenant } from '../api/http';
import type { QueueView } from '@conveyor/client';
import { TASK_STATUSES } from '../task-statuses';
import { Chart } from '../components/Chart';
import { ErrorNote } from '../components/ErrorNote';
import { formatCount, formatDuration, formatTime } from '../format';

const WINDOWS = ['1h', '6h', '24h'] as const;

export function QueuesPage() {
  const [window, setWindow] = useState<(typeof WINDOWS)[number]>('1h');
  const queues = useQueues(window);
  const session = useSession();
  const admin = session.data?.principal.kind === 'admin';
  return (
    <section>
      <h1>
        Queues{' '}
        <select aria-label="window" value={window} onChange={(e) => setWindow(e.target.value as (typeof WINDOWS)[number])}>
          {WINDOWS.map((w) => (
            <option key={w}>{w}</option>
          ))}
        </select>
      </h1>
      <ErrorNote error={queues.error} />
      <table className="grid queues">
        <thead>
          <tr>
            <th>Queue</th>
            {TASK_STATUSES.map((status) => (
              <th key={status}>{status}</th>
            ))}
            <th>Oldest waiting</th>
          </tr>
        </thead>
        <tbody>
          {(queues.data?.queues ?? []).map((queue) => (
            <tr key={queue.queue} data-queue={queue.queue}>
              <td>{queue.queue}</td>
              {TASK_STATUSES.map((status) => (
                <td key={status}>{formatCount(queue.counts[status] ?? 0)}</td>
              ))}
              <td>{formatDuration(queue.oldest_waiting_age_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {admin && <Workers />}
      <h2>Finished per interval ({window})</h2>
      <div className="chart-grid">
        {(queues.data?.queues ?? [])
          .filter((queue) => queue.series.length > 0)
          .map((queue) => (
            <QueueChart key={queue.queue} queue={queue} />
          ))}
      </div>
    </section>
  );
}

function QueueChart({ queue }: { queue: QueueView }) {
  const { x, series } = useMemo(
    () => ({
      x: queue.series.map((point) => new Date(point.at).getTime() / 1000),
      series: [
        { label: 'succeeded', values: queue.series.map((point) => point.succeeded), color: '#2f7d4f' },
        { label: 'failed', values: queue.series.map((point) => point.failed), color: '#b3392f' },
      ],
    }),
    [queue.series],
  );
  return <Chart title={queue.queue} x={x} series={series} height={130} />;
}

function Workers() {
  const workers = useWorkers(true);
  return (
    <>
      <h2>
        Workers <a href="/admin/queues">queue dashboard (bull-board) →</a>
      </h2>
      {actingTenant.get() && <p className="muted">The worker registry is the same for every tenant.</p>}
      <ErrorNote error={workers.error} />
      <table className="grid workers">
        <thead>
          <tr>
            <th>Instance</th>
            <th>Queue</th>
            <th>Active / concurrency</th>
            <th>Heartbeat (UTC)</th>
            <th>Started (UTC)</th>
            <th>Version</th>
          </tr>
        </thead>
        <tbody>
          {(workers.data?.workers ?? []).map((worker) => (
            <tr key={worker.instance}>
              <td className="mono">{worker.instance}</td>
              <td>{worker.queue}</td>
              <td>
                {worker.active} / {worker.concurrency}
              </td>
              <td className="mono">{formatTime(worker.heartbeat_at)}</td>
              <td className="mono">{formatTime(worker.started_at)}</td>
              <td className="mono">{worker.version}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
