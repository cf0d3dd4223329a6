import type { UsageView } from '@conveyor/client';
import { Command, Option } from 'commander';
import { UsageError } from '../exit-codes';
import { table } from '../table';
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
