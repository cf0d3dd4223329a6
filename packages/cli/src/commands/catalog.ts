import type { TaskName, UsageView } from '@conveyor/client';
import { Command, Option } from 'commander';
import { UsageError } from '../exit-codes';
import { integer } from '../json-input';
import { table } from '../table';
import { take } from '../take';
import type { Action } from './action';

const usd = (n: number) => `$${n.toFixed(4)}`;

function usageText(u: UsageView): string {
  const head = [
    `plan ${u.plan}, period ${u.period_start} to ${u.period_end}`,
    `spent ${usd(u.spent_usd)}, reserved ${usd(u.reserved_usd)}, remaining ${usd(u.remaining_usd)} of a cap of ${usd(u.cap_usd)}`,
    '',
  ];
  const rows = u.by_action.map((a) => [a.action_type, a.calls, usd(a.cost_usd)]);
  return [...head, table(['ACTION', 'CALLS', 'COST_USD'], rows, 'No spend by action this period.')].join('\n');
}

/** Groupings GET /usage gives (it answers totals and by_action); the others are refused rather than estimated. */
const OFFERED = ['action'];

export function usageCommand(action: Action): Command {
  return new Command('usage')
    .description("This billing period's LLM spend: totals, and by action")
    .addOption(new Option('--by <grouping>', 'group the spend (the API offers only "action" so far)').choices(['action', 'day', 'task', 'model', 'campaign']))
    .addHelpText('after', '\nGET /usage gives totals and the spend by action; --by day, task, model or campaign exits 2 until the API offers them.')
    .action(
      action(async (ctx, flags: { by?: string }) => {
        if (flags.by !== undefined && !OFFERED.includes(flags.by)) {
          throw new UsageError(
            `The API does not give usage by ${flags.by} yet: GET /usage answers this period's totals and the spend by action only (conveyor usage --by action). No numbers are made up here.`,
          );
        }
        const usage = await ctx.conveyor().usage.get();
        if (flags.by === 'action') ctx.out.result(usage.by_action, () => usageText(usage).split('\n').slice(3).join('\n'));
        else ctx.out.result(usage, usageText);
      }),
    );
}

export function taskTypesCommand(action: Action): Command {
  return new Command('task-types')
    .description('The task types this deployment offers (with --json: their payload and result JSON Schemas and policies)')
    .action(
      action(async (ctx) => {
        const types = await ctx.conveyor().taskTypes.list();
        ctx.out.result(types, (list) =>
          table(
            ['NAME', 'QUEUE', 'ATTEMPTS', 'DESCRIPTION'],
            list.map((t) => [t.name, t.queue, t.policy.attempts, t.description]),
          ),
        );
      }),
    );
}

export function deadLettersCommand(action: Action): Command {
  const deadLetters = new Command('dead-letters').description('Tasks that failed for good, across tenants (needs an admin key)');
  deadLetters.addCommand(
    new Command('list')
      .description('List dead letters, newest first')
      .option('-t, --task <task>', 'only this task type')
      .option('--tenant <id>', 'only this tenant')
      .option('-n, --limit <n>', 'at most this many', integer('--limit', 1, 10_000), 50)
      .action(
        action(async (ctx, flags: { task?: string; tenant?: string; limit: number }) => {
          const pages = ctx
            .conveyor()
            .deadLetters.list({ task: flags.task as TaskName | undefined, tenantId: flags.tenant, limit: Math.min(flags.limit, 200) });
          const list = await take(pages, flags.limit);
          ctx.out.result(list, (l) =>
            table(
              ['TASK_ID', 'TENANT_ID', 'TASK', 'ATTEMPTS', 'FAILED_AT', 'ERROR'],
              l.map((d) => [d.task_id, d.tenant_id, d.task, d.attempts, d.failed_at, d.error ? `${d.error.type}: ${d.error.message}` : null]),
              'No dead letters.',
            ),
          );
        }),
      ),
  );
  deadLetters.addCommand(
    new Command('replay')
      .description('Queue dead letters again: the ones named, or every one with --all')
      .argument('[ids...]', 'task ids of dead letters')
      .option('--all', 'replay every dead letter (instead of naming them)')
      .action(
        action(async (ctx, ids: string[], flags: { all?: boolean }) => {
          if (flags.all && ids.length) throw new UsageError('Name dead letters by id or pass --all, not both');
          if (!flags.all && !ids.length) throw new UsageError('Name the dead letters to replay by task id, or pass --all to replay every one');
          const answer = await ctx.conveyor().deadLetters.replay(flags.all ? { all: true } : { taskIds: ids });
          ctx.out.result(
            answer,
            (a) =>
              `Replayed ${a.replayed} task${a.replayed === 1 ? '' : 's'}${a.enqueued ? '' : ' (Redis could not take them now; the reconciler will enqueue them)'}`,
          );
        }),
      ),
  );
  return deadLetters;
}
