import type { Conveyor, Task, TaskListFilter, TaskName, TaskPayloadInput, TaskStatus } from '@conveyor/client';
import { Command } from 'commander';
import type { Context } from '../context';
import { TaskOutcomeError } from '../exit-codes';
import { type SigintCatcher, catchSigint, followTask } from '../follow-task';
import { integer, parseSince, readJsonObject } from '../json-input';
import { ProgressView, eventLine, logLine } from '../progress';
import { table } from '../table';
import { limitOption, pageSize, take } from '../take';
import { attemptLines, failureText, taskText } from '../task-text';
import type { Action } from './action';

interface SubmitFlags {
  payload?: string;
  idempotencyKey?: string;
  delayMs?: number;
  priority?: number;
  tag?: string[];
  metadata?: string;
  wait?: boolean;
  timeoutMs?: number;
}

/** Prints the ended task (stdout) and throws TaskOutcomeError unless it succeeded: the exit code follows the task. */
function finish(ctx: Context, task: Task): void {
  if (task.status === 'SUCCESS') {
    ctx.out.result(task, (t) => JSON.stringify(t.result, null, 2));
    return;
  }
  ctx.out.result(task, () => '');
  throw new TaskOutcomeError(failureText(task));
}

/** Follows the task with a progress view on stderr until it ends; then finish(). */
async function waitAndFinish(ctx: Context, conveyor: Conveyor, id: string, timeoutMs: number | undefined, sigintBefore: SigintCatcher): Promise<void> {
  const view = new ProgressView(ctx.out);
  try {
    const task = await followTask(conveyor, id, {
      timeoutMs,
      sigintBefore,
      onEvent: (e) => e.type !== 'log' && view.update(e),
      onNote: (text) => view.note(text),
    });
    view.finish();
    finish(ctx, task);
  } finally {
    view.finish();
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function submitCommand(action: Action): Command {
  return new Command('submit')
    .description('Submit a task; with --wait, follow it to its end (progress on stderr) and print its result')
    .argument('<task>', 'the task type, e.g. test_task (see: conveyor task-types)')
    .option('-p, --payload <json>', 'the payload: inline JSON (\'{"message":"hi"}\'), @file.json, or @- for standard input', '{}')
    .option('--idempotency-key <key>', 'the same key returns the first task instead of making another')
    .option('--delay-ms <n>', 'milliseconds before the task may start', integer('--delay-ms', 0))
    .option('--priority <n>', '1 runs first, larger numbers later', integer('--priority', 1))
    .option('--tag <tag>', 'a label (repeat for several, up to 10)', collect)
    .option('--metadata <json>', 'a JSON object kept with the task (inline or @file.json)')
    .option('-w, --wait', 'follow the task until it ends; exit 0 on SUCCESS, 1 on FAILURE or REVOKED')
    .option('--timeout-ms <n>', 'with --wait: stop waiting after this long (exit 1; the task goes on)', integer('--timeout-ms', 1))
    .addHelpText(
      'after',
      `
Without --wait, prints the task's id (or, with --json, { id, status, created }).
With --wait, progress goes to stderr (a bar on a terminal, plain lines otherwise) and the
result to stdout (with --json: the whole task). Ctrl-C stops waiting; the task goes on.`,
    )
    .action(
      action(async (ctx, task: string, flags: SubmitFlags) => {
        const payload = readJsonObject(flags.payload ?? '{}', '--payload');
        const metadata = flags.metadata === undefined ? undefined : readJsonObject(flags.metadata, '--metadata');
        const conveyor = ctx.conveyor();
        // Ctrl-C after the id is printed stops the wait, however soon it comes.
        const sigint = flags.wait ? catchSigint() : undefined;
        try {
          // The name is checked by the server: a CLI argument cannot be typed.
          const submitted = await conveyor.tasks.submit(task as TaskName, payload as TaskPayloadInput<TaskName>, {
            idempotencyKey: flags.idempotencyKey,
            delayMs: flags.delayMs,
            priority: flags.priority,
            tags: flags.tag,
            metadata,
          });
          ctx.out.note(
            submitted.created
              ? `Task ${submitted.id} submitted (${submitted.status})`
              : `Task ${submitted.id} already existed for this idempotency key (${submitted.status})`,
          );
          if (!sigint) return ctx.out.result(submitted, (s) => s.id);
          await waitAndFinish(ctx, conveyor, submitted.id, flags.timeoutMs, sigint);
        } finally {
          sigint?.dispose();
        }
      }),
    );
}

interface ListFlags {
  status?: string;
  task?: string;
  queue?: string;
  campaign?: string;
  tag?: string;
  since?: string;
  limit: number;
}

function listCommand(action: Action): Command {
  return new Command('list')
    .description("List the tenant's tasks, newest first")
    .option('-s, --status <statuses>', 'only these statuses, comma-separated (PENDING,STARTED,PROGRESS,RETRY,SUCCESS,FAILURE,REVOKED)')
    .option('-t, --task <task>', 'only this task type')
    .option('-q, --queue <queue>', 'only tasks on this queue (scraping, analysis, generation, monitoring, publishing)')
    .option('--campaign <id>', "only tasks whose payload's campaign_id is this")
    .option('--tag <tags>', 'only tasks carrying every one of these tags, comma-separated')
    .option('--since <when>', 'only tasks created since an ISO time or a duration back from now (30m, 1h, 2d, 1w)')
    .addOption(limitOption(50, 'at most this many tasks'))
    .action(
      action(async (ctx, flags: ListFlags) => {
        const since = flags.since === undefined ? undefined : parseSince(flags.since);
        const status = flags.status?.split(',').map((s) => s.trim().toUpperCase() as TaskStatus);
        const pages = ctx.conveyor().tasks.list({
          status,
          task: flags.task as TaskName | undefined,
          queue: flags.queue as TaskListFilter['queue'],
          campaignId: flags.campaign,
          tags: flags.tag?.split(',').map((t) => t.trim()),
          createdAfter: since,
          limit: pageSize(flags.limit),
        });
        const tasks = await take(pages, flags.limit);
        ctx.out.result(tasks, (list) =>
          table(
            ['TASK_ID', 'TASK', 'STATUS', 'PROGRESS', 'ATTEMPTS', 'CREATED'],
            list.map((t) => [t.task_id, t.task, t.status, `${t.progress}%`, t.attempts, t.created_at]),
            'No tasks match.',
          ),
        );
      }),
    );
}

function logsCommand(action: Action): Command {
  return new Command('logs')
    .description("Print a task's attempt history, then its log lines and live events until it ends")
    .argument('<id>', 'the task id')
    .addHelpText(
      'after',
      `
Prints each attempt's outcome and error so far, then the lines the task's handler wrote
(ctx.log, those stored so far and each new one) among its state changes as they happen.
With --json, one JSON object per line: {"type":"attempt",...} for each attempt so far, then
the live events ({"type":"log",...}, {"type":"state",...}, and {"type":"end",...} last).
Exits like submit --wait.`,
    )
    .action(
      action(async (ctx, id: string) => {
        const conveyor = ctx.conveyor();
        const before = await conveyor.tasks.get(id);
        if (ctx.out.json) for (const attempt of before.attempt_history ?? []) ctx.out.jsonLine({ type: 'attempt', ...attempt });
        else {
          ctx.out.result(before, (t) => `${t.task_id} ${t.task}, created ${t.created_at}`);
          for (const line of attemptLines(before)) ctx.out.result(line, (l) => l);
        }
        const task = await followTask(conveyor, id, {
          logs: true,
          onEvent: (event) => {
            if (ctx.out.json) ctx.out.jsonLine(event);
            else if (event.type === 'log') ctx.out.result(event, logLine);
            else ctx.out.result(event, eventLine);
          },
          onNote: (text) => ctx.out.note(text),
        });
        if (task.status !== 'SUCCESS') throw new TaskOutcomeError(failureText(task));
        if (!ctx.out.json) ctx.out.result(task, (t) => `result ${JSON.stringify(t.result)}`);
      }),
    );
}

export function tasksCommand(action: Action): Command {
  const tasks = new Command('tasks').description('Submit, follow, list, cancel and retry tasks');
  tasks.addCommand(submitCommand(action));
  tasks.addCommand(
    new Command('get')
      .description('Show a task: status, progress, attempts, payload, and its result or error once it ended')
      .argument('<id>', 'the task id')
      .action(action(async (ctx, id: string) => ctx.out.result(await ctx.conveyor().tasks.get(id), taskText))),
  );
  tasks.addCommand(logsCommand(action));
  tasks.addCommand(
    new Command('cancel')
      .description('Revoke a task: removed if queued, aborted if running (the task ends REVOKED)')
      .argument('<id>', 'the task id')
      .action(action(async (ctx, id: string) => ctx.out.result(await ctx.conveyor().tasks.cancel(id), (a) => a.message))),
  );
  tasks.addCommand(
    new Command('retry')
      .description('Run a FAILURE task again (refused, exit 3, for a task in any other state)')
      .argument('<id>', 'the task id')
      .action(action(async (ctx, id: string) => ctx.out.result(await ctx.conveyor().tasks.retry(id), (a) => a.message))),
  );
  tasks.addCommand(listCommand(action));
  return tasks;
}
