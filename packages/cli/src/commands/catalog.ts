import type { LlmTaskName, UsageCheckView, UsageView } from '@conveyor/client';
import { Command, Option } from 'commander';
import { table } from '../table';
import type { Action } from './action';
import { UsageError } from '../exit-codes';

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

const GROUPINGS = ['day', 'task', 'model', 'campaign'] as const;

function groupsText(u: UsageView, by: string): string {
  const rows = (u.groups ?? []).map((g) => [g.key, g.calls, g.prompt_tokens, g.completion_tokens, usd(g.cost_usd)]);
  return table([by.toUpperCase(), 'CALLS', 'PROMPT_TOKENS', 'COMPLETION_TOKENS', 'COST_USD'], rows, `No spend by ${by} in this period.`);
}

function checkText(c: UsageCheckView): string {
  const fit = c.calls_that_fit === null ? 'no bound on' : `${c.calls_that_fit}`;
  const lines = [
    `${c.task}: ${c.fits ? 'fits' : 'does not fit'}`,
    `worst case ${usd(c.worst_case_usd)} a call, ${usd(c.remaining_usd)} remaining: ${fit} such calls fit now`,
  ];
  if (c.limit) lines.push(`plan ${c.limit.plan} allows ${c.limit.calls_per_period} calls per period; ${c.limit.used} used, ${c.limit.remaining} left`);
  if (c.reason) lines.push(c.reason);
  return lines.join('\n');
}

export function usageCommand(action: Action): Command {
  return new Command('usage')
    .description("A billing period's LLM spend: totals, and by action, day, task, model or campaign")
    .addOption(new Option('--by <grouping>', 'group the spend').choices(['action', ...GROUPINGS]))
    .option('--period <period>', 'current (default), previous, or the date a period starts (YYYY-MM-DD)')
    .option('--check <task>', "whether one more call of this LLM task fits the remaining budget and the plan's limit (GET /usage/check)")
    .addHelpText('after', '\nGroups by day are in date order; the others by cost, highest first, with the tokens of each.')
    .action(
      action(async (ctx, flags: { by?: string; period?: string; check?: string }) => {
        if (flags.check !== undefined) {
          if (flags.by !== undefined || flags.period !== undefined) throw new UsageError('--check takes no --by or --period: it looks at the current period');
          ctx.out.result(await ctx.conveyor().usage.check(flags.check as LlmTaskName), checkText);
          return;
        }
        const groupBy = GROUPINGS.find((g) => g === flags.by);
        const usage = await ctx.conveyor().usage.get({ period: flags.period, groupBy });
        if (flags.by === 'action') ctx.out.result(usage.by_action, () => usageText(usage).split('\n').slice(3).join('\n'));
        else if (groupBy) ctx.out.result(usage.groups ?? [], () => [...usageText(usage).split('\n').slice(0, 3), groupsText(usage, groupBy)].join('\n'));
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
