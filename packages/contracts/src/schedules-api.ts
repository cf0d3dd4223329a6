import { z } from 'zod';

export const SCHEDULE_KINDS = ['one_shot', 'cron', 'rrule'] as const;
export const scheduleKindSchema = z.enum(SCHEDULE_KINDS);
/** What a schedule does with fire times it missed (the scheduler was down): none, one, or each. */
export const MISFIRE_POLICIES = ['skip', 'fire_once', 'fire_all'] as const;
export const misfirePolicySchema = z.enum(MISFIRE_POLICIES);

const recurrenceFields = {
  kind: scheduleKindSchema,
  /** one_shot: the instant to run, with its offset (2026-12-01T09:00:00+01:00). */
  run_at: z.iso.datetime({ offset: true }).optional(),
  /** cron: 5 fields, or 6 with seconds, read in `timezone`. */
  cron: z.string().min(1).max(200).optional(),
  /** rrule: an RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0 */
  rrule: z.string().min(1).max(1000).optional(),
  /** rrule: the local wall time of the first occurrence, YYYY-MM-DDTHH:mm[:ss], in `timezone`. */
  dtstart: z.string().max(40).optional(),
  timezone: z.string().min(1).max(64).default('UTC'),
};

const scheduleFields = {
  name: z.string().min(1).max(200),
  task: z.string().min(1).max(100),
  payload: z.record(z.string(), z.unknown()).default({}),
  misfire_policy: misfirePolicySchema.default('fire_once'),
  end_at: z.iso.datetime({ offset: true }).nullable().optional(),
  enabled: z.boolean().default(true),
};

/** The fields a kind needs: checked here so the message names them. */
function requireKindFields(value: { kind?: string; run_at?: string; cron?: string; rrule?: string; dtstart?: string }, ctx: z.RefinementCtx) {
  const need = { one_shot: ['run_at'], cron: ['cron'], rrule: ['rrule', 'dtstart'] }[value.kind ?? ''] ?? [];
  for (const field of need) {
    if (!value[field as keyof typeof value]) ctx.addIssue({ code: 'custom', path: [field], message: `is required for a ${value.kind} schedule` });
  }
}

/** Body of POST /api/v1/schedules */
export const createScheduleBodySchema = z
  .object({ ...scheduleFields, ...recurrenceFields })
  .strict()
  .superRefine(requireKindFields);
export type CreateScheduleBody = z.infer<typeof createScheduleBodySchema>;

/** Body of PATCH /api/v1/schedules/{id}: any field; a new recurrence replaces the old one whole. */
export const patchScheduleBodySchema = z
  .object({
    name: scheduleFields.name,
    payload: z.record(z.string(), z.unknown()),
    misfire_policy: scheduleFields.misfire_policy.unwrap(),
    end_at: scheduleFields.end_at,
    ...recurrenceFields,
    timezone: recurrenceFields.timezone.unwrap(),
  })
  .partial()
  .strict()
  .superRefine((value, ctx) => value.kind && requireKindFields(value, ctx));
export type PatchScheduleBody = z.infer<typeof patchScheduleBodySchema>;

export const scheduleIdSchema = z.uuid({ error: 'a schedule id is a UUID' });

/** Query of GET /api/v1/schedules: by name, a page at a time. */
export const listSchedulesQuerySchema = z
  .object({
    /** next_cursor of the previous page. */
    cursor: z.string().max(400).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

const instant = z.iso.datetime();

/** A schedule as the API shows it, with its next fire times. */
export const scheduleViewSchema = z.object({
  schedule_id: z.uuid(),
  name: z.string(),
  task: z.string(),
  payload: z.record(z.string(), z.unknown()),
  kind: scheduleKindSchema,
  run_at: instant.nullable(),
  cron: z.string().nullable(),
  rrule: z.string().nullable(),
  dtstart: z.string().nullable(),
  timezone: z.string(),
  misfire_policy: misfirePolicySchema,
  end_at: instant.nullable(),
  enabled: z.boolean(),
  next_run_at: instant.nullable(),
  last_run_at: instant.nullable(),
  created_at: instant,
  /** The next run and up to four after it; [] while disabled. */
  next_fire_times: z.array(instant),
});
export type ScheduleView = z.infer<typeof scheduleViewSchema>;
