import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useDeadLetterActions, useDeadLetterGroups, useDeadLetters } from '../api/hooks';
import type { OwnDeadLetterView } from '@conveyor/client';
import { ErrorNote } from '../components/ErrorNote';
import { Pager } from '../components/Pager';
import { formatTime, shortId } from '../format';

interface Filter {
  task?: string;
  error_code?: string;
}

export function DeadLettersPage() {
  const [filter, setFilter] = useState<Filter>({});
  const [cursors, setCursors] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);
  const groups = useDeadLetterGroups();
  const list = useDeadLetters({ ...filter, cursor: cursors.at(-1) });
  const actions = useDeadLetterActions();
  const choose = (next: Filter) => {
    setFilter(next);
    setCursors([]);
    setSelected(new Set());
  };
  return (
    <section>
      <h1>Dead letters</h1>
      <h2>By task and error</h2>
      <ErrorNote error={groups.error} />
      <table className="grid groups">
        <thead>
          <tr>
            <th>Task</th>
            <th>Error code</th>
            <th>Count</th>
            <th>Last failed (UTC)</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(groups.data?.groups ?? []).map((group) => (
            <tr key={`${group.task}/${group.error_code}`} className={filter.task === group.task && filter.error_code === group.error_code ? 'selected' : ''}>
              <td>{group.task}</td>
              <td className="mono">{group.error_code}</td>
              <td>{group.count}</td>
              <td className="mono">{formatTime(group.last_failed_at)}</td>
              <td>
                <button type="button" onClick={() => choose({ task: group.task, error_code: group.error_code })}>
                  Show
                </button>{' '}
                <button
                  type="button"
                  onClick={() =>
                    confirm(`Replay all ${group.count} of ${group.task} / ${group.error_code}?`) &&
                    actions.replaySelected.mutate(
                      { all: true, task: group.task, error_code: group.error_code },
                      { onSuccess: (answer) => setNotice(`Replayed ${answer.replayed} task(s).`) },
                    )
                  }
                >
                  Replay group
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {groups.isSuccess && groups.data.groups.length === 0 && <p className="empty">No dead letters.</p>}

      <h2>
        Dead letters {filter.task ? `of ${filter.task} / ${filter.error_code}` : '(all)'}{' '}
        {filter.task && (
          <button type="button" onClick={() => choose({})}>
            Show all
          </button>
        )}
      </h2>
      <div className="actions">
        <button
          type="button"
          disabled={selected.size === 0}
          onClick={() =>
            actions.replaySelected.mutate(
              { task_ids: [...selected] },
              {
                onSuccess: (answer) => {
                  setSelected(new Set());
                  setNotice(`Replayed ${answer.replayed} task(s).`);
                },
              },
            )
          }
        >
          Replay selected ({selected.size})
        </button>
        <button
          type="button"
          onClick={() =>
            confirm('Replay every dead letter shown by this filter?') &&
            actions.replaySelected.mutate({ all: true, ...filter }, { onSuccess: (answer) => setNotice(`Replayed ${answer.replayed} task(s).`) })
          }
        >
          Replay all{filter.task ? ' of this group' : ''}
        </button>
        {notice && (
          <span className="notice" role="status">
            {notice}
          </span>
        )}
        <ErrorNote error={actions.replaySelected.error} />
      </div>
      <ErrorNote error={list.error} />
      <table className="grid dead-letters">
        <thead>
          <tr>
            <th />
            <th>Task</th>
            <th>Id</th>
            <th>Error</th>
            <th>Attempts</th>
            <th>Failed (UTC)</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data?.dead_letters ?? []).map((letter) => (
            <DeadLetterRow
              key={letter.task_id}
              letter={letter}
              checked={selected.has(letter.task_id)}
              onNotice={setNotice}
              onCheck={(on) => {
                const next = new Set(selected);
                if (on) next.add(letter.task_id);
                else next.delete(letter.task_id);
                setSelected(next);
              }}
            />
          ))}
        </tbody>
      </table>
      <Pager
        hasPrevious={cursors.length > 0}
        nextCursor={list.data?.next_cursor}
        label={`${list.data?.dead_letters.length ?? 0} on this page`}
        onPrevious={() => setCursors(cursors.slice(0, -1))}
        onNext={(cursor) => setCursors([...cursors, cursor])}
      />
    </section>
  );
}

function DeadLetterRow({
  letter,
  checked,
  onCheck,
  onNotice,
}: {
  letter: OwnDeadLetterView;
  checked: boolean;
  onCheck: (on: boolean) => void;
  onNotice: (text: string) => void;
}) {
  const actions = useDeadLetterActions();
  const [editing, setEditing] = useState<string | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  // mutateAsync, not mutate's own onSuccess: the replay refreshes the list, which drops this
  // row, and TanStack Query skips the callbacks of a mutate whose component is gone, so the
  // notice (the page's) would be lost whenever the refresh won that race.
  const replay = (payload?: Record<string, unknown>) =>
    actions.replayOne.mutateAsync({ taskId: letter.task_id, ...(payload ? { payload } : {}) }).then(
      (answer) => {
        setEditing(null);
        onNotice(`Replayed ${shortId(letter.task_id)} (${letter.task})${payload ? ' with the edited payload' : ''}: now ${answer.status}.`);
      },
      () => undefined, // shown from the mutation's error state
    );
  const replayEdited = () => {
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(editing ?? '{}');
    } catch (error) {
      return setParseError(`Not JSON: ${(error as Error).message}`);
    }
    setParseError(null);
    void replay(payload);
  };
  return (
    <>
      <tr data-task-id={letter.task_id}>
        <td>
          <input type="checkbox" aria-label={`select ${letter.task_id}`} checked={checked} onChange={(e) => onCheck(e.target.checked)} />
        </td>
        <td>{letter.task}</td>
        <td>
          <Link to="/runs/$taskId" params={{ taskId: letter.task_id }} className="mono">
            {shortId(letter.task_id)}
          </Link>
        </td>
        <td>
          <span className="mono">{letter.error.code ?? letter.error.type}</span> {letter.error.message}
        </td>
        <td>{letter.attempts}</td>
        <td className="mono">{formatTime(letter.failed_at)}</td>
        <td className="row-actions">
          <button type="button" onClick={() => void replay()}>
            Replay
          </button>
          <button type="button" onClick={() => setEditing(editing === null ? JSON.stringify(letter.payload, null, 2) : null)}>
            Edit payload
          </button>
          <button
            type="button"
            onClick={() =>
              confirm('Discard this dead letter?') &&
              actions.discard.mutate(letter.task_id, { onSuccess: () => onNotice(`Discarded ${shortId(letter.task_id)} (${letter.task}).`) })
            }
          >
            Discard
          </button>
        </td>
      </tr>
      {(editing !== null || actions.replayOne.error || actions.discard.error) && (
        <tr className="detail">
          <td colSpan={7}>
            {editing !== null && (
              <div className="payload-editor">
                <textarea aria-label="payload" spellCheck={false} rows={8} value={editing} onChange={(e) => setEditing(e.target.value)} />
                <button type="button" onClick={replayEdited}>
                  Replay with this payload
                </button>
                {parseError && <div className="error-note">{parseError}</div>}
              </div>
            )}
            <ErrorNote error={actions.replayOne.error ?? actions.discard.error} />
          </td>
        </tr>
      )}
    </>
  );
}
