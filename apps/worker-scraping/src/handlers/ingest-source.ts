import { PermanentError } from '@conveyor/contracts';
import { type IngestionRuntime, type IngestionSource, runCounts, runIngestion } from '@conveyor/integrations';
import type { TaskHandler } from '@conveyor/queue';
import type { IngestionSourceName } from '@conveyor/contracts';

export interface IngestSourceDeps {
  sources: Readonly<Record<IngestionSourceName, IngestionSource>>;
  runtime: IngestionRuntime;
}

/**
 * ingest_source: one run of one source through the framework. A failed run is recorded in the
 * audit trail and fails the task with the run's error (the next scheduled run starts again from
 * the watermark); a wait too long for the worker defers the task, which resumes from the watermark.
 */
export function ingestSourceHandler(deps: IngestSourceDeps): TaskHandler<'ingest_source'> {
  return async (payload, ctx) => {
    const source = deps.sources[payload.source];
    const window = payload.window ? { from: new Date(payload.window.from), to: new Date(payload.window.to) } : undefined;
    const report = await runIngestion(
      source,
      {
        taskId: ctx.taskId,
        window,
        signal: ctx.signal,
        onProgress: (done, total) => ctx.progress(Math.floor((done / total) * 100), `window ${done} of ${total}`),
      },
      { ...deps.runtime, logger: ctx.logger },
    );
    if (report.status === 'failed') throw new PermanentError(report.error?.message ?? 'the run failed', report.error?.type.toUpperCase());
    return runCounts(report);
  };
}
