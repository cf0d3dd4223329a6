import { randomUUID } from 'node:crypto';
import {
  type TaskPolicies,
  createScheduleBodySchema,
  getTaskDefinition,
  listSchedulesQuerySchema,
  patchScheduleBodySchema,
  scheduleIdSchema,
} from '@conveyor/contracts';
import {
  type Database,
  type Principal,
  type ScheduleRow,
  ScheduleNameTakenError,
  databaseNow,
  deleteSchedule,
  findScheduleForTenant,
  insertSchedule,
  listSchedulesForTenant,
  updateSchedule,
} from '@conveyor/db';
import type { TaskProducer } from '@conveyor/queue';
import { recurrenceFromFields } from '@conveyor/scheduling';
import { type Request, type Response, Router } from 'express';
import type { Kysely } from 'kysely';
import { encodeNameCursor, nameCursorOf } from '../cursor';
import { HttpError, validationError } from '../http-error';
import { tenantOf } from '../middleware/authenticate';
import { parseQuery } from '../query';
import { withScheduledPosts } from '../post-schedule-hook';
import { resolveSchedule, toScheduleView, upcoming } from '../schedule-input';

export interface ScheduleRouteDeps {
  db: Kysely<Database>;
  producer: TaskProducer;
  policies: TaskPolicies;
}

/** The recurrence columns of a schedule of this kind (the others null). */
function recurrenceColumns(fields: {
  kind: 'one_shot' | 'cron' | 'rrule';
  run_at?: string | null;
  cron?: string;
  rrule?: string;
  dtstart?: string;
  timezone: string;
}) {
  return {
    kind: fields.kind,
    run_at: fields.kind === 'one_shot' ? new Date(fields.run_at!) : null,
    cron: fields.kind === 'cron' ? fields.cron! : null,
    rrule: fields.kind === 'rrule' ? fields.rrule! : null,
    dtstart: fields.kind === 'rrule' ? fields.dtstart! : null,
    timezone: fields.timezone,
  };
}

/** Schedules (README.md, "Schedules"): create, read, change, delete, enable, disable, trigger. */
export function schedulesRouter(deps: ScheduleRouteDeps): Router {
  const router = Router();
  const planOf = (res: Response) => (res.locals.principal as Principal).plan ?? 'trial';

  async function load(req: Request, res: Response): Promise<ScheduleRow> {
    const id = scheduleIdSchema.safeParse(req.params.id);
    if (!id.success) throw new HttpError(400, 'invalid_schedule_id', `"${String(req.params.id).slice(0, 64)}" is not a schedule id (a UUID)`);
    const row = await findScheduleForTenant(deps.db, id.data, tenantOf(res));
    if (!row) throw new HttpError(404, 'schedule_not_found', `No schedule ${id.data}`);
    return row;
  }
  // The next fire times a view shows, found a bounded step at a time (upcoming); a rule saved
  // before today's checks that cannot be expanded within the bounds shows only its next run.
  const preview = async (row: ScheduleRow): Promise<Date[]> => {
    if (!row.next_run_at) return [];
    try {
      return [row.next_run_at, ...(await upcoming(recurrenceFromFields(row), row.next_run_at, 4, row.end_at ?? undefined))];
    } catch {
      return [row.next_run_at];
    }
  };
  const nameTaken = (error: unknown) => {
    if (error instanceof ScheduleNameTakenError) throw new HttpError(409, 'schedule_name_taken', error.message);
    throw error;
  };

  router.post('/schedules', async (req, res) => {
    const body = createScheduleBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'schedule');
    const resolved = await resolveSchedule(body.data, planOf(res), await databaseNow(deps.db));
    const b = body.data;
    const row = await withScheduledPosts(deps.db, tenantOf(res), { after: { task: b.task, payload: resolved.payload } }, (db) =>
      insertSchedule(db, {
        tenant_id: tenantOf(res),
        name: b.name,
        ...recurrenceColumns(b),
        task: b.task,
        payload: resolved.payload,
        misfire_policy: b.misfire_policy,
        end_at: b.end_at ? new Date(b.end_at) : null,
        enabled: b.enabled,
        next_run_at: resolved.next,
      }).catch(nameTaken),
    );
    res.status(201).location(`/api/v1/schedules/${row.id}`).json(toScheduleView(row, resolved.preview));
  });

  router.get('/schedules', async (req, res) => {
    const query = parseQuery(req, listSchedulesQuerySchema);
    const rows = await listSchedulesForTenant(deps.db, tenantOf(res), { after: nameCursorOf(query.cursor), limit: query.limit });
    // One schedule's next times after another, each step yielding the event loop (upcoming).
    const schedules = [];
    for (const row of rows) schedules.push(toScheduleView(row, await preview(row)));
    res.json({ schedules, next_cursor: rows.length === query.limit ? encodeNameCursor(rows.at(-1)!.name) : null });
  });

  router.get('/schedules/:id', async (req, res) => {
    const row = await load(req, res);
    res.json(toScheduleView(row, await preview(row)));
  });

  router.patch('/schedules/:id', async (req, res) => {
    const current = await load(req, res);
    const body = patchScheduleBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'schedule change');
    const p = body.data;
    // A new kind replaces the recurrence whole; otherwise fields change one by one.
    const fields = {
      kind: p.kind ?? current.kind,
      run_at: p.run_at ?? (p.kind ? undefined : current.run_at?.toISOString()),
      cron: p.cron ?? (p.kind ? undefined : (current.cron ?? undefined)),
      rrule: p.rrule ?? (p.kind ? undefined : (current.rrule ?? undefined)),
      dtstart: p.dtstart ?? (p.kind ? undefined : (current.dtstart ?? undefined)),
      timezone: p.timezone ?? current.timezone,
      task: current.task,
      payload: (p.payload ?? current.payload) as Record<string, unknown>,
      end_at: p.end_at === undefined ? current.end_at?.toISOString() : p.end_at,
    };
    const resolved = await resolveSchedule(fields, planOf(res), await databaseNow(deps.db));
    const change = { before: current, after: { task: current.task, payload: resolved.payload } };
    const row = await withScheduledPosts(deps.db, tenantOf(res), change, (db) =>
      updateSchedule(db, current.id, tenantOf(res), {
        name: p.name,
        ...recurrenceColumns(fields),
        payload: resolved.payload,
        misfire_policy: p.misfire_policy,
        end_at: fields.end_at ? new Date(fields.end_at) : null,
        next_run_at: resolved.next,
      }).catch(nameTaken),
    );
    if (!row) throw new HttpError(404, 'schedule_not_found', `No schedule ${current.id}`);
    res.json(toScheduleView(row, resolved.preview));
  });

  router.delete('/schedules/:id', async (req, res) => {
    const row = await load(req, res);
    await withScheduledPosts(deps.db, tenantOf(res), { before: row }, (db) => deleteSchedule(db, row.id, tenantOf(res)));
    res.status(204).end();
  });

  router.post('/schedules/:id/disable', async (req, res) => {
    const row = await load(req, res);
    const updated = (await withScheduledPosts(deps.db, tenantOf(res), { before: row, after: row }, (db) =>
      updateSchedule(db, row.id, tenantOf(res), { enabled: false }),
    ))!;
    res.json(toScheduleView(updated, []));
  });

  router.post('/schedules/:id/enable', async (req, res) => {
    const row = await load(req, res);
    // Times missed while disabled are not fired: the schedule resumes from now.
    const resolved = await resolveSchedule(
      {
        ...row,
        run_at: row.run_at?.toISOString(),
        cron: row.cron ?? undefined,
        rrule: row.rrule ?? undefined,
        dtstart: row.dtstart ?? undefined,
        payload: row.payload as Record<string, unknown>,
        end_at: row.end_at?.toISOString(),
      },
      planOf(res),
      await databaseNow(deps.db),
    );
    const updated = (await withScheduledPosts(deps.db, tenantOf(res), { before: row, after: row }, (db) =>
      updateSchedule(db, row.id, tenantOf(res), { enabled: true, next_run_at: resolved.next }),
    ))!;
    res.json(toScheduleView(updated, resolved.preview));
  });

  router.post('/schedules/:id/trigger', async (req, res) => {
    const row = await load(req, res);
    const definition = getTaskDefinition(row.task);
    if (!definition) throw new HttpError(409, 'task_retired', `Task "${row.task}" is no longer offered`);
    const task = await deps.db
      .insertInto('tasks')
      .values({
        id: randomUUID(),
        tenant_id: row.tenant_id,
        task: definition.name,
        queue: definition.queue,
        payload: JSON.stringify(row.payload),
        max_attempts: deps.policies.get(definition.name).attempts,
        schedule_id: row.id,
        planned_at: await databaseNow(deps.db),
        origin: 'schedule',
      })
      .returning(['id', 'task', 'queue'])
      .executeTakeFirstOrThrow();
    await deps.producer.enqueue({ id: task.id, task: task.task, queue: task.queue });
    res
      .status(202)
      .location(`/api/v1/tasks/${task.id}`)
      .json({ task_id: task.id, status: 'PENDING', message: `Schedule "${row.name}" fired once, now` });
  });

  return router;
}
