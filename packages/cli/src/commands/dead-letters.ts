import type { OwnReplaySelection, TaskName } from '@conveyor/client';
import { Command } from 'commander';
import type { Context } from '../context';
import { UsageError } from '../exit-codes';
import { readJsonObject } from '../json-input';
import { table } from '../table';
import { limitOption, pageSize, take } from '../take';
import type { Action } from './action';

const errorText = (error: { type: string; message: string } | null) => (error ? `${error.type}: ${error.message}` : null);
const replayedText = (a: { replayed: number; enqueued: boolean }) =>
  `Replayed ${a.replayed} task${a.replayed === 1 ? '' : 's'}${a.enqueued ? '' : ' (Redis could not take them now; the reconciler will enqueue them)'}`;

/** Names by id, or --all: never both, never neither. */
function checkSelection(ids: string[], all: boolean | undefined): void {
  if (all && ids.length) throw new UsageError('Name dead letters by id or pass --all, not both');
  if (!all && !ids.length) throw new UsageError('Name the dead letters to replay by task id, or pass --all to replay every one');
}

/** list and replay: the admin routes, across tenants. */
function adminCommands(action: Action): Command[] {
  const list = new Command('list')
    .description('List dead letters of every tenant, newest first (admin key)')
    .option('-t, --task <task>', 'only this task type')
    .option('--tenant <id>', 'only this tenant')
    .addOption(limitOption(50))
    .action(
      action(async (ctx, flags: { task?: string; tenant?: string; limit: number }) => {
        const pages = ctx.conveyor().deadLetters.list({ task: flags.task as TaskName | undefined, tenantId: flags.tenant, limit: pageSize(flags.limit) });
        ctx.out.result(await take(pages, flags.limit), (l) =>
          table(
            ['TASK_ID', 'TENANT_ID', 'TASK', 'ATTEMPTS', 'FAILED_AT', 'ERROR'],
            l.map((d) => [d.task_id, d.tenant_id, d.task, d.attempts, d.failed_at, errorText(d.error)]),
            'No dead letters.',
          ),
        );
      }),
    );
  const replay = new Command('replay')
    .description('Queue dead letters of any tenant again: the ones named, or every one with --all (admin key)')
    .argument('[ids...]', 'task ids of dead letters')
    .option('--all', 'replay every dead letter (instead of naming them)')
    .action(
      action(async (ctx, ids: string[], flags: { all?: boolean }) => {
        checkSelection(ids, flags.all);
        ctx.out.result(await ctx.conveyor().deadLetters.replay(flags.all ? { all: true } : { taskIds: ids }), replayedText);
      }),
    );
  return [list, replay];
}

async function replayMine(ctx: Context, ids: string[], flags: { all?: boolean; task?: string; code?: string; payload?: string }): Promise<void> {
  checkSelection(ids, flags.all);
  if (!flags.all && (flags.task || flags.code)) throw new UsageError('--task and --code narrow --all; with ids, name only the ones to replay');
  const deadLetters = ctx.conveyor().deadLetters;
  if (flags.payload !== undefined) {
    if (ids.length !== 1) throw new UsageError('--payload replays one dead letter: name exactly one task id');
    const answer = await deadLetters.replayOne(ids[0]!, { payload: readJsonObject(flags.payload, '--payload') });
    ctx.out.result(answer, (a) => `${a.task_id} ${a.status}: ${a.message}`);
    return;
  }
  const selection: OwnReplaySelection = flags.all ? { all: true, task: flags.task as TaskName | undefined, errorCode: flags.code } : { taskIds: ids };
  const answer = await deadLetters.replayOwn(selection);
  ctx.out.result(answer, (a) => [replayedText(a), ...a.not_replayed.map((id) => `not replayed (no open dead letter of yours): ${id}`)].join('\n'));
}

/** mine, groups, replay-mine and discard: the tenant's own dead letters. */
function tenantCommands(action: Action): Command[] {
  const mine = new Command('mine')
    .description("List this tenant's open dead letters, newest first")
    .option('-t, --task <task>', 'only this task type')
    .option('-c, --code <code>', 'only this error code (as groups shows it)')
    .addOption(limitOption(50))
    .action(
      action(async (ctx, flags: { task?: string; code?: string; limit: number }) => {
        const pages = ctx.conveyor().deadLetters.listOwn({ task: flags.task as TaskName | undefined, errorCode: flags.code, limit: pageSize(flags.limit) });
        ctx.out.result(await take(pages, flags.limit), (l) =>
          table(
            ['TASK_ID', 'TASK', 'CODE', 'ATTEMPTS', 'FAILED_AT', 'ERROR'],
            l.map((d) => [d.task_id, d.task, d.error_code, d.attempts, d.failed_at, errorText(d.error)]),
            'No dead letters.',
          ),
        );
      }),
    );
  const groups = new Command('groups').description("This tenant's open dead letters counted by task and error code").action(
    action(async (ctx) => {
      ctx.out.result(await ctx.conveyor().deadLetters.groups(), (g) =>
        table(
          ['TASK', 'CODE', 'COUNT', 'LAST_FAILED_AT'],
          g.map((x) => [x.task, x.error_code, x.count, x.last_failed_at]),
          'No dead letters.',
        ),
      );
    }),
  );
  const replay = new Command('replay-mine')
    .description("Queue this tenant's dead letters again: the ones named, one with an edited --payload, or --all (narrowed by --task, --code)")
    .argument('[ids...]', 'task ids of dead letters')
    .option('--all', 'replay every open dead letter (instead of naming them)')
    .option('-t, --task <task>', 'with --all: only this task type')
    .option('-c, --code <code>', 'with --all: only this error code')
    .option('-p, --payload <json>', 'with one id: replay it with this payload (checked against its task): inline JSON, @file.json or @-')
    .action(action(replayMine));
  const discard = new Command('discard')
    .description('Discard (acknowledge) a dead letter: no longer listed or replayed with --all; the task stays FAILURE')
    .argument('<id>', 'task id of the dead letter')
    .action(
      action(async (ctx, id: string) => {
        await ctx.conveyor().deadLetters.discard(id);
        ctx.out.result({ task_id: id, discarded: true }, () => `Discarded the dead letter of ${id}`);
      }),
    );
  return [mine, groups, replay, discard];
}

export function deadLettersCommand(action: Action): Command {
  const deadLetters = new Command('dead-letters').description(
    "Tasks that failed for good: this tenant's own (mine, groups, replay-mine, discard), or every tenant's with an admin key (list, replay)",
  );
  for (const command of [...tenantCommands(action), ...adminCommands(action)]) deadLetters.addCommand(command);
  return deadLetters;
}
