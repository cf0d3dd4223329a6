import { Link, getRouteApi } from '@tanstack/react-router';
import { type FormEvent, useState } from 'react';
import { type RunFilters, useRuns } from '../api/hooks';
import { TASK_STATUSES } from '../task-statuses';
import { ErrorNote } from '../components/ErrorNote';
import { Pager } from '../components/Pager';
import { StatusBadge } from '../components/StatusBadge';
import { between, formatDuration, formatTime, shortId } from '../format';

const PAGE_SIZE = 50;
/** Quick time ranges: each fills created_after with that long ago (and clears created_before). */
const RANGES: [string, number][] = [
  ['last 15 min', 15 * 60_000],
  ['last hour', 3_600_000],
  ['last 24 h', 86_400_000],
  ['last 7 days', 7 * 86_400_000],
];
const TEXT_FILTERS = ['task', 'queue', 'tag', 'campaign_id', 'schedule_id', 'created_after', 'created_before'] as const;
export type RunsSearch = Omit<RunFilters, 'limit'>;

/** The runs page's URL search: only known keys, only strings (anything else is dropped, the API judges the rest). */
export function parseRunsSearch(search: Record<string, unknown>): RunsSearch {
  const out: RunsSearch = {};
  for (const key of ['status', 'cursor', ...TEXT_FILTERS] as const) {
    const value = search[key];
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  return out;
}

const route = getRouteApi('/runs');

export function RunsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const [previous, setPrevious] = useState<string[]>([]);
  const runs = useRuns({ ...search, limit: PAGE_SIZE });
  const apply = (filters: RunsSearch) => {
    setPrevious([]);
    void navigate({ search: filters });
  };
  const rows = runs.data?.tasks ?? [];
  return (
    <section>
      <h1>Runs</h1>
      <RunFiltersForm key={JSON.stringify({ ...search, cursor: undefined })} search={search} onApply={apply} />
      <ErrorNote error={runs.error} />
      <table className="grid runs">
        <thead>
          <tr>
            <th>Status</th>
            <th>Task</th>
            <th>Queue</th>
            <th>Id</th>
            <th>Created (UTC)</th>
            <th>Duration</th>
            <th>Attempts</th>
            <th>Tags</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((run) => (
            <tr key={run.task_id} data-task-id={run.task_id}>
              <td>
                <StatusBadge status={run.status} />
                {run.status === 'PROGRESS' && <span className="muted"> {run.progress}%</span>}
              </td>
              <td>{run.task}</td>
              <td>{run.queue ?? '—'}</td>
              <td>
                <Link to="/runs/$taskId" params={{ taskId: run.task_id }} className="mono">
                  {shortId(run.task_id)}
                </Link>
              </td>
              <td className="mono">{formatTime(run.created_at)}</td>
              <td>{formatDuration(between(run.started_at, run.finished_at))}</td>
              <td>
                {run.attempts}/{run.max_attempts}
              </td>
              <td>
                {run.tags.map((tag) => (
                  <span key={tag} className="tag">
                    {tag}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.isSuccess && rows.length === 0 && <p className="empty">No runs match these filters.</p>}
      <Pager
        hasPrevious={Boolean(search.cursor)}
        nextCursor={runs.data?.next_cursor}
        label={`${rows.length} on this page${runs.isFetching ? ' · refreshing' : ''}`}
        onPrevious={() => {
          const back = previous.at(-1);
          setPrevious(previous.slice(0, -1));
          void navigate({ search: { ...search, cursor: back } });
        }}
        onNext={(cursor) => {
          if (search.cursor) setPrevious([...previous, search.cursor]);
          void navigate({ search: { ...search, cursor } });
        }}
      />
    </section>
  );
}

function RunFiltersForm({ search, onApply }: { search: RunsSearch; onApply: (filters: RunsSearch) => void }) {
  const [statuses, setStatuses] = useState<string[]>(search.status ? search.status.split(',') : []);
  const [text, setText] = useState<Record<string, string>>(Object.fromEntries(TEXT_FILTERS.map((key) => [key, search[key] ?? ''])));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(parseRunsSearch({ ...text, status: statuses.join(',') }));
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="filters">
      <fieldset className="statuses">
        {TASK_STATUSES.map((status) => (
          <label key={status}>
            <input
              type="checkbox"
              checked={statuses.includes(status)}
              onChange={(e) => setStatuses(e.target.checked ? [...statuses, status] : statuses.filter((s) => s !== status))}
            />
            {status}
          </label>
        ))}
      </fieldset>
      {TEXT_FILTERS.map((key) => (
        <label key={key}>
          {key.replace('_', ' ')}
          <input
            name={key}
            value={text[key]}
            placeholder={key.startsWith('created') ? 'ISO time, UTC' : ''}
            onChange={(e) => setText({ ...text, [key]: e.target.value })}
          />
        </label>
      ))}
      <label>
        created within
        <select
          aria-label="created within"
          value=""
          onChange={(e) =>
            e.target.value && setText({ ...text, created_after: new Date(Date.now() - Number(e.target.value)).toISOString(), created_before: '' })
          }
        >
          <option value="">pick a range…</option>
          {RANGES.map(([label, ms]) => (
            <option key={label} value={ms}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Apply</button>
      <button type="button" onClick={() => onApply({})}>
        Clear
      </button>
    </form>
  );
}
