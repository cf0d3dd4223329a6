import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useScheduleAction, useScheduleRuns, useSchedules } from '../api/hooks';
import type { ScheduleView } from '@conveyor/client';
import { ErrorNote } from '../components/ErrorNote';
import { StatusBadge } from '../components/StatusBadge';
import { formatTime, shortId } from '../format';
import { describeSchedule } from '../schedule-text';

export function SchedulesPage() {
  const schedules = useSchedules();
  const action = useScheduleAction();
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section>
      <h1>Schedules</h1>
      <ErrorNote error={schedules.error ?? action.error} />
      <table className="grid schedules">
        <thead>
          <tr>
            <th>Name</th>
            <th>Task</th>
            <th>When</th>
            <th>Next fire (schedule's zone)</th>
            <th>Next fire (UTC)</th>
            <th>Last fired (UTC)</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(schedules.data?.schedules ?? []).map((schedule) => (
            <ScheduleRow
              key={schedule.schedule_id}
              schedule={schedule}
              open={open === schedule.schedule_id}
              onToggleRuns={() => setOpen(open === schedule.schedule_id ? null : schedule.schedule_id)}
              onAction={(name) => action.mutate({ scheduleId: schedule.schedule_id, action: name })}
              busy={action.isPending}
            />
          ))}
        </tbody>
      </table>
      {schedules.isSuccess && schedules.data.schedules.length === 0 && (
        <p className="empty">No schedules. Create them with POST /api/v1/schedules or the CLI.</p>
      )}
    </section>
  );
}

function ScheduleRow({
  schedule,
  open,
  onToggleRuns,
  onAction,
  busy,
}: {
  schedule: ScheduleView;
  open: boolean;
  onToggleRuns: () => void;
  onAction: (action: 'enable' | 'disable' | 'trigger') => void;
  busy: boolean;
}) {
  const next = schedule.next_fire_times[0] ?? null;
  return (
    <>
      <tr data-schedule-id={schedule.schedule_id}>
        <td>{schedule.name}</td>
        <td>{schedule.task}</td>
        <td>{describeSchedule(schedule)}</td>
        <td className="mono">{next ? `${formatTime(next, schedule.timezone)} ${schedule.timezone}` : '—'}</td>
        <td className="mono">{formatTime(next)}</td>
        <td className="mono">{formatTime(schedule.last_run_at)}</td>
        <td data-state>{schedule.enabled ? 'enabled' : 'disabled'}</td>
        <td className="row-actions">
          <button type="button" disabled={busy} onClick={() => onAction(schedule.enabled ? 'disable' : 'enable')}>
            {schedule.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" disabled={busy} onClick={() => onAction('trigger')}>
            Run now
          </button>
          <button type="button" onClick={onToggleRuns}>
            {open ? 'Hide runs' : 'Recent runs'}
          </button>
        </td>
      </tr>
      {open && (
        <tr className="detail">
          <td colSpan={8}>
            <ScheduleRuns scheduleId={schedule.schedule_id} />
          </td>
        </tr>
      )}
    </>
  );
}

function ScheduleRuns({ scheduleId }: { scheduleId: string }) {
  const runs = useScheduleRuns(scheduleId);
  if (runs.error) return <ErrorNote error={runs.error} />;
  const rows = runs.data?.tasks ?? [];
  if (runs.isSuccess && rows.length === 0) return <p className="empty">This schedule has not fired yet.</p>;
  return (
    <ul className="inline-runs">
      {rows.map((run) => (
        <li key={run.task_id}>
          <StatusBadge status={run.status} />{' '}
          <Link to="/runs/$taskId" params={{ taskId: run.task_id }} className="mono">
            {shortId(run.task_id)}
          </Link>{' '}
          <span className="mono muted">{formatTime(run.created_at)}</span>
        </li>
      ))}
      <li>
        <Link to="/runs" search={{ schedule_id: scheduleId }}>
          all runs of this schedule →
        </Link>
      </li>
    </ul>
  );
}
