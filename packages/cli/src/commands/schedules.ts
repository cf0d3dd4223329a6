import type { ScheduleInput, ScheduleView, TaskName } from '@conveyor/client';
import { Command, Option } from 'commander';
import { UsageError } from '../exit-codes';
import { readJsonObject } from '../json-input';
import { table } from '../table';
import { limitOption, pageSize, take } from '../take';
import type { Action } from './action';

interface CreateFlags {
  name: string;
  task: string;
  payload: string;
  cron?: string;
  rrule?: string;
  dtstart?: string;
  runAt?: string;
  timezone?: string;
  misfirePolicy?: 'skip' | 'fire_once' | 'fire_all';
  endAt?: string;
  disabled?: boolean;
}

/** The recurrence from exactly one of --cron, --rrule (with --dtstart) and --run-at. */
function recurrence(
  flags: CreateFlags,
): { kind: 'cron'; cron: string } | { kind: 'rrule'; rrule: string; dtstart: string } | { kind: 'one_shot'; run_at: string } {
  const given = [flags.cron, flags.rrule, flags.runAt].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('Give exactly one of --cron, --rrule (with --dtstart) and --run-at');
  if (flags.cron !== undefined) return { kind: 'cron', cron: flags.cron };
  if (flags.runAt !== undefined) return { kind: 'one_shot', run_at: flags.runAt };
  if (flags.dtstart === undefined) throw new UsageError('--rrule needs --dtstart: the local wall time of the first occurrence, e.g. 2025-03-01T09:00:00');
  return { kind: 'rrule', rrule: flags.rrule!, dtstart: flags.dtstart };
}

const rule = (s: ScheduleView) => s.cron ?? s.rrule ?? s.run_at ?? '-';

function scheduleText(s: ScheduleView): string {
  const next = s.next_fire_times.length ? s.next_fire_times.slice(0, 3).join(', ') : 'none';
  return `${s.schedule_id} ${s.name} (${s.task}, ${s.kind} ${rule(s)} ${s.timezone}) ${s.enabled ? 'enabled' : 'disabled'}; next: ${next}`;
}

export function schedulesCommand(action: Action): Command {
  const schedules = new Command('schedules').description('Create, list, trigger, enable and disable schedules');

  schedules.addCommand(
    new Command('list')
      .description('List the schedules, by name')
      .addOption(limitOption(100))
      .action(
        action(async (ctx, flags: { limit: number }) => {
          const list = await take(ctx.conveyor().schedules.list({ limit: pageSize(flags.limit) }), flags.limit);
          ctx.out.result(list, (l) =>
            table(
              ['SCHEDULE_ID', 'NAME', 'TASK', 'KIND', 'RULE', 'TIMEZONE', 'ENABLED', 'NEXT_RUN'],
              l.map((s) => [s.schedule_id, s.name, s.task, s.kind, rule(s), s.timezone, s.enabled ? 'yes' : 'no', s.next_run_at]),
              'No schedules.',
            ),
          );
        }),
      ),
  );

  schedules.addCommand(
    new Command('create')
      .description('Create a schedule: a cron expression, an RRULE, or one time')
      .requiredOption('--name <name>', 'a name unique in the tenant')
      .requiredOption('--task <task>', 'the task type it submits')
      .option('-p, --payload <json>', 'the payload of each task: inline JSON, @file.json or @-', '{}')
      .option('--cron <expr>', 'a cron expression of 5 fields (6 with seconds), read in --timezone')
      .option('--rrule <rule>', 'an RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO (needs --dtstart)')
      .option('--dtstart <local-time>', 'with --rrule: the local wall time of the first occurrence, e.g. 2025-03-01T09:00:00')
      .option('--run-at <time>', 'one time, with its offset, e.g. 2025-03-01T09:00:00Z')
      .option('--timezone <iana>', 'the IANA zone the rule is read in (default UTC), e.g. Europe/Paris')
      .addOption(new Option('--misfire-policy <policy>', 'what to do with times missed while down').choices(['skip', 'fire_once', 'fire_all']))
      .option('--end-at <time>', 'no fires after this time')
      .option('--disabled', 'create it disabled')
      .action(
        action(async (ctx, flags: CreateFlags) => {
          const input = {
            name: flags.name,
            task: flags.task,
            payload: readJsonObject(flags.payload, '--payload'),
            ...recurrence(flags),
            ...(flags.timezone === undefined ? {} : { timezone: flags.timezone }),
            ...(flags.misfirePolicy === undefined ? {} : { misfire_policy: flags.misfirePolicy }),
            ...(flags.endAt === undefined ? {} : { end_at: flags.endAt }),
            ...(flags.disabled ? { enabled: false } : {}),
          };
          // The task name and payload come from the command line; the server checks them.
          const created = await ctx.conveyor().schedules.create(input as ScheduleInput<TaskName>);
          ctx.out.result(created, scheduleText);
        }),
      ),
  );

  schedules.addCommand(
    new Command('get')
      .description('Show a schedule with its next fire times')
      .argument('<id>', 'the schedule id')
      .action(action(async (ctx, id: string) => ctx.out.result(await ctx.conveyor().schedules.get(id), scheduleText))),
  );
  schedules.addCommand(
    new Command('trigger')
      .description('Fire a schedule once, now; prints the id of the task it submitted')
      .argument('<id>', 'the schedule id')
      .action(action(async (ctx, id: string) => ctx.out.result(await ctx.conveyor().schedules.trigger(id), (t) => t.id))),
  );
  schedules.addCommand(
    new Command('enable')
      .description('Enable a schedule from now on (times missed while disabled are not fired)')
      .argument('<id>', 'the schedule id')
      .action(action(async (ctx, id: string) => ctx.out.result(await ctx.conveyor().schedules.enable(id), scheduleText))),
  );
  schedules.addCommand(
    new Command('disable')
      .description('Disable a schedule: it fires no more until enabled')
      .argument('<id>', 'the schedule id')
      .action(action(async (ctx, id: string) => ctx.out.result(await ctx.conveyor().schedules.disable(id), scheduleText))),
  );
  schedules.addCommand(
    new Command('delete')
      .description('Delete a schedule (the tasks it fired stay)')
      .argument('<id>', 'the schedule id')
      .action(
        action(async (ctx, id: string) => {
          await ctx.conveyor().schedules.delete(id);
          ctx.out.result({ deleted: id }, () => `Deleted schedule ${id}`);
        }),
      ),
  );
  return schedules;
}
