import { getRouteApi, useNavigate } from '@tanstack/react-router';
import { useRun, useRunActions, useRunEvents, useRunLogs, useRunResult } from '../api/hooks';
import type { TaskView } from '@conveyor/client';
import { isTerminal } from '../task-statuses';
import { ErrorNote } from '../components/ErrorNote';
import { StatusBadge } from '../components/StatusBadge';
import { between, formatDuration, formatTime, formatUsd } from '../format';

const route = getRouteApi('/runs/$taskId');

export function RunPage() {
  const { taskId } = route.useParams();
  const run = useRun(taskId);
  const finished = run.data ? isTerminal(run.data.status) : false;
  const live = useRunEvents(taskId, run.isSuccess && !finished);
  if (run.error) return <ErrorNote error={run.error} />;
  if (!run.data) return <p className="empty">Loading…</p>;
  return (
    <section className="run">
      <h1>
        {run.data.task} <StatusBadge status={run.data.status} /> <span className="mono muted">{run.data.task_id}</span>
      </h1>
      <RunSummary run={run.data} live={live} />
      <RunActions run={run.data} />
      <div className="columns">
        <div>
          <h2>Payload</h2>
          <pre className="json">{JSON.stringify(run.data.payload ?? {}, null, 2)}</pre>
          <RunOutcome taskId={taskId} finished={finished} />
        </div>
        <div>
          <h2>Attempts</h2>
          <AttemptTimeline run={run.data} />
          <h2>Logs</h2>
          <RunLogs taskId={taskId} />
        </div>
      </div>
    </section>
  );
}

function RunSummary({ run, live }: { run: TaskView; live: string }) {
  const facts: [string, string][] = [
    ['Queue', run.queue ?? '—'],
    ['Origin', run.origin ?? (run.schedule_id ? 'schedule' : '—')],
    ['Worker', run.worker ?? '—'],
    ['Attempts', `${run.attempts} of ${run.max_attempts}`],
    ['Created', formatTime(run.created_at)],
    ['Started', formatTime(run.started_at)],
    ['Finished', formatTime(run.finished_at)],
    ['Duration', formatDuration(between(run.started_at, run.finished_at))],
    ['Cost', formatUsd(run.cost_usd)],
    ['Next attempt', formatTime(run.next_attempt_at)],
    ['Tags', run.tags.join(', ') || '—'],
    ['Live', isTerminal(run.status) ? 'finished' : live],
  ];
  return (
    <>
      <div className="progress" role="progressbar" aria-valuenow={run.progress} aria-valuemin={0} aria-valuemax={100}>
        <div className="bar" style={{ width: `${run.progress}%` }} />
        <span>
          {run.progress}% {run.message ?? ''}
        </span>
      </div>
      <dl className="facts">
        {facts.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd data-fact={name.toLowerCase()} title={value}>
              {value}
            </dd>
          </div>
        ))}
      </dl>
      {run.metadata && <pre className="json small">{JSON.stringify(run.metadata, null, 2)}</pre>}
    </>
  );
}

function RunActions({ run }: { run: TaskView }) {
  const actions = useRunActions(run);
  const navigate = useNavigate();
  const finished = isTerminal(run.status);
  return (
    <div className="actions">
      <button type="button" disabled={finished || actions.cancel.isPending} onClick={() => confirm('Cancel this run?') && actions.cancel.mutate()}>
        Cancel
      </button>
      <button type="button" disabled={run.status !== 'FAILURE' || actions.retry.isPending} onClick={() => actions.retry.mutate()}>
        Retry
      </button>
      <button
        type="button"
        disabled={!finished || actions.replay.isPending}
        onClick={() => actions.replay.mutate(undefined, { onSuccess: (made) => void navigate({ to: '/runs/$taskId', params: { taskId: made.task_id } }) })}
      >
        Replay as a new run
      </button>
      <ErrorNote error={actions.cancel.error ?? actions.retry.error ?? actions.replay.error} />
    </div>
  );
}

function RunOutcome({ taskId, finished }: { taskId: string; finished: boolean }) {
  const result = useRunResult(taskId, finished);
  if (!finished) return null;
  if (result.error) return <ErrorNote error={result.error} />;
  if (!result.data) return null;
  const { error } = result.data;
  if (error)
    return (
      <div className="outcome failed">
        <h2>Error</h2>
        <p>
          <strong>{error.code ?? error.type}</strong>: {error.message}
        </p>
      </div>
    );
  return (
    <div className="outcome">
      <h2>Result</h2>
      <pre className="json">{JSON.stringify(result.data.result ?? null, null, 2)}</pre>
    </div>
  );
}

function AttemptTimeline({ run }: { run: TaskView }) {
  const attempts = run.attempt_history ?? [];
  if (attempts.length === 0) return <p className="empty">No attempt yet.</p>;
  return (
    <table className="grid attempts">
      <thead>
        <tr>
          <th>#</th>
          <th>Started</th>
          <th>Ended</th>
          <th>Outcome</th>
          <th>Worker</th>
          <th>Duration</th>
          <th>Cost</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((attempt) => (
          <tr key={`${attempt.attempt}-${attempt.started_at}`} className={`outcome-${attempt.outcome}`}>
            <td>{attempt.attempt}</td>
            <td className="mono">{formatTime(attempt.started_at)}</td>
            <td className="mono">{formatTime(attempt.finished_at)}</td>
            <td>{attempt.outcome}</td>
            <td className="mono clip" title={attempt.worker ?? undefined}>
              {attempt.worker ?? '—'}
            </td>
            <td>{formatDuration(attempt.duration_ms ?? between(attempt.started_at, attempt.finished_at))}</td>
            <td>{formatUsd(attempt.cost_usd)}</td>
            <td>{attempt.error ? `${attempt.error.type ?? ''}: ${attempt.error.message}` : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RunLogs({ taskId }: { taskId: string }) {
  const logs = useRunLogs(taskId);
  if (logs.error) return <ErrorNote error={logs.error} />;
  const lines = logs.data?.logs ?? [];
  if (lines.length === 0) return <p className="empty">No log lines.</p>;
  return (
    <ol className="logs">
      {lines.map((line) => (
        <li key={line.seq} className={`log-${line.level}`}>
          <span className="mono muted">{formatTime(line.at)}</span> <span className="level">{line.level}</span> <span className="muted">#{line.attempt}</span>{' '}
          {line.message}
          {line.fields && <span className="mono muted"> {JSON.stringify(line.fields)}</span>}
        </li>
      ))}
    </ol>
  );
}
