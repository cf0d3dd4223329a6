// Every query and mutation of the console, in one module: pages use these, never fetch directly.
import { type Query, keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, eventsUrl, withQuery } from './http';
import type {
  ConsoleSession,
  DeadLetterGroup,
  QueuesResponse,
  ScheduleView,
  TaskLogLine,
  TaskLogsPage,
  TaskResultView,
  TaskView,
  TenantDeadLetterPage,
  TenantList,
  UsageGroupBy,
  UsagePeriodsView,
  UsageView,
  WorkersResponse,
} from '@conveyor/client';

/** How often live lists poll (they also refetch when the tab regains focus). */
const LIVE_MS = 4_000;
const id = (value: string) => encodeURIComponent(value);

/** Every cached answer but the session's: what changes with who is signed in, or which tenant an admin acts for. */
export const notSession = (query: Query) => query.queryKey[0] !== 'session' && query.queryKey[0] !== 'tenants';

// --- session -------------------------------------------------------------------------------

export function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: () => api<ConsoleSession>('GET', '/auth/session', undefined, { tenantScoped: false }),
    retry: false,
    staleTime: 60_000,
  });
}

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (apiKey: string) => api<ConsoleSession>('POST', '/auth/session', { api_key: apiKey }, { tenantScoped: false }),
    onSuccess: (session) => {
      // Reset (not clear): the mounted session query must see the new data.
      client.setQueryData(['session'], session);
      void client.resetQueries({ predicate: notSession });
    },
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<void>('DELETE', '/auth/session', undefined, { tenantScoped: false }),
    onSettled: () => {
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== 'session' });
      void client.resetQueries({ queryKey: ['session'] });
    },
  });
}

export function useTenants(enabled: boolean) {
  return useQuery({ queryKey: ['tenants'], queryFn: () => api<TenantList>('GET', '/admin/tenants', undefined, { tenantScoped: false }), enabled });
}

// --- runs ----------------------------------------------------------------------------------

/** A page of GET /tasks as it is sent (the client's own TaskPage is camelCase). */
type TaskPage = { tasks: TaskView[]; next_cursor: string | null };

export interface RunFilters {
  status?: string;
  task?: string;
  queue?: string;
  schedule_id?: string;
  campaign_id?: string;
  tag?: string;
  created_after?: string;
  created_before?: string;
  cursor?: string;
  limit?: number;
}

export function useRuns(filters: RunFilters) {
  return useQuery({
    queryKey: ['runs', filters],
    queryFn: () => api<TaskPage>('GET', withQuery('/tasks', { ...filters })),
    refetchInterval: LIVE_MS,
    placeholderData: keepPreviousData,
  });
}

export function useRun(taskId: string) {
  return useQuery({ queryKey: ['run', taskId], queryFn: () => api<TaskView>('GET', `/tasks/${id(taskId)}`) });
}

export function useRunResult(taskId: string, finished: boolean) {
  return useQuery({ queryKey: ['run', taskId, 'result'], queryFn: () => api<TaskResultView>('GET', `/tasks/${id(taskId)}/result`), enabled: finished });
}

export function useRunLogs(taskId: string) {
  return useQuery({ queryKey: ['run', taskId, 'logs'], queryFn: () => api<TaskLogsPage>('GET', withQuery(`/tasks/${id(taskId)}/logs`, { limit: 500 })) });
}

/**
 * Follows a task's live events (SSE) while it runs: each `state` updates the cached run, each
 * `log` line is appended to the cached logs, `end` refetches the run and its result and closes.
 */
export function useRunEvents(taskId: string, enabled: boolean): 'idle' | 'live' | 'reconnecting' | 'ended' {
  const client = useQueryClient();
  const [status, setStatus] = useState<'idle' | 'live' | 'reconnecting' | 'ended'>('idle');
  useEffect(() => {
    if (!enabled) return;
    let source: EventSource | undefined;
    let stopped = false;
    const refresh = () => client.invalidateQueries({ queryKey: ['run', taskId] });
    void eventsUrl(taskId)
      .then((url) => {
        if (stopped) return;
        source = new EventSource(url);
        source.onopen = () => setStatus('live');
        source.onerror = () => setStatus(source?.readyState === EventSource.CLOSED ? 'ended' : 'reconnecting');
        source.addEventListener('state', (event) => {
          const state = JSON.parse((event as MessageEvent<string>).data) as Partial<TaskView>;
          const before = client.getQueryData<TaskView>(['run', taskId]);
          client.setQueryData<TaskView>(['run', taskId], (run) => (run ? { ...run, ...state } : run));
          if (before && (before.status !== state.status || before.attempts !== state.attempts)) void refresh();
        });
        source.addEventListener('log', (event) => {
          const line = JSON.parse((event as MessageEvent<string>).data) as TaskLogLine;
          client.setQueryData<TaskLogsPage>(['run', taskId, 'logs'], (page) =>
            page && !page.logs.some((l) => l.seq === line.seq) ? { ...page, logs: [...page.logs, line] } : (page ?? { logs: [line], next_cursor: null }),
          );
        });
        source.addEventListener('end', () => {
          source?.close();
          setStatus('ended');
          void refresh();
        });
      })
      .catch(() => setStatus('ended'));
    return () => {
      stopped = true;
      source?.close();
    };
  }, [client, taskId, enabled]);
  return status;
}

/** Cancel, retry (a failed task, in place) and replay (the same task and payload as a new run). */
export function useRunActions(run: TaskView | undefined) {
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: ['run', run?.task_id] });
  return {
    cancel: useMutation({ mutationFn: () => api('POST', `/tasks/${id(run!.task_id)}/cancel`), onSettled: refresh }),
    retry: useMutation({ mutationFn: () => api('POST', `/tasks/${id(run!.task_id)}/retry`), onSettled: refresh }),
    replay: useMutation({
      mutationFn: () =>
        api<{ task_id: string }>('POST', '/tasks', {
          task: run!.task,
          payload: run!.payload ?? {},
          ...(run!.tags.length ? { tags: run!.tags } : {}),
          ...(run!.metadata ? { metadata: run!.metadata } : {}),
        }),
    }),
  };
}

// --- dead letters --------------------------------------------------------------------------

export function useDeadLetterGroups() {
  return useQuery({
    queryKey: ['dead-letters', 'groups'],
    queryFn: () => api<{ groups: DeadLetterGroup[] }>('GET', '/dead-letters/groups'),
    refetchInterval: LIVE_MS,
  });
}

export function useDeadLetters(filter: { task?: string; error_code?: string; cursor?: string }) {
  return useQuery({
    queryKey: ['dead-letters', 'list', filter],
    queryFn: () => api<TenantDeadLetterPage>('GET', withQuery('/dead-letters', { ...filter, limit: 50 })),
    refetchInterval: LIVE_MS,
    placeholderData: keepPreviousData,
  });
}

export function useDeadLetterActions() {
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: ['dead-letters'] });
  return {
    replaySelected: useMutation({
      mutationFn: (body: { task_ids: string[] } | { all: true; task?: string; error_code?: string }) =>
        api<{ replayed: number }>('POST', '/dead-letters/replay', body),
      onSuccess: refresh,
    }),
    replayOne: useMutation({
      mutationFn: ({ taskId, payload }: { taskId: string; payload?: Record<string, unknown> }) =>
        api<{ task_id: string; status: string }>('POST', `/dead-letters/${id(taskId)}/replay`, payload ? { payload } : {}),
      onSuccess: refresh,
    }),
    discard: useMutation({ mutationFn: (taskId: string) => api<void>('DELETE', `/dead-letters/${id(taskId)}`), onSuccess: refresh }),
  };
}

// --- schedules -----------------------------------------------------------------------------

export function useSchedules() {
  return useQuery({
    queryKey: ['schedules'],
    queryFn: () => api<{ schedules: ScheduleView[]; next_cursor: string | null }>('GET', '/schedules?limit=200'),
    refetchInterval: LIVE_MS * 4,
  });
}

export function useScheduleRuns(scheduleId: string) {
  return useQuery({
    queryKey: ['runs', { schedule_id: scheduleId, limit: 10 }],
    queryFn: () => api<TaskPage>('GET', withQuery('/tasks', { schedule_id: scheduleId, limit: 10 })),
    refetchInterval: LIVE_MS * 2,
  });
}

export function useScheduleAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ scheduleId, action }: { scheduleId: string; action: 'enable' | 'disable' | 'trigger' }) =>
      api('POST', `/schedules/${id(scheduleId)}/${action}`),
    onSettled: () => client.invalidateQueries({ queryKey: ['schedules'] }),
  });
}

// --- queues, workers, spend ----------------------------------------------------------------

export function useQueues(window: string) {
  return useQuery({
    queryKey: ['queues', window],
    queryFn: () => api<QueuesResponse>('GET', withQuery('/queues', { window })),
    refetchInterval: LIVE_MS,
  });
}

export function useWorkers(enabled: boolean) {
  return useQuery({
    queryKey: ['workers'],
    queryFn: () => api<WorkersResponse>('GET', '/workers', undefined, { tenantScoped: false }),
    refetchInterval: LIVE_MS,
    enabled,
  });
}

export function useUsage(groupBy: UsageGroupBy, period: string) {
  return useQuery({
    queryKey: ['usage', groupBy, period],
    queryFn: () => api<UsageView>('GET', withQuery('/usage', { group_by: groupBy, period })),
    refetchInterval: LIVE_MS * 3,
  });
}

export function useUsagePeriods() {
  return useQuery({ queryKey: ['usage', 'periods'], queryFn: () => api<UsagePeriodsView>('GET', '/usage/periods') });
}
