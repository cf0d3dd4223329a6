import fs from 'node:fs';
import path from 'node:path';
import { QUEUE_NAMES, type QueueName, tasksOfQueue } from '@conveyor/contracts';
import { APPS } from '../src';

// The README names each queue's tasks in two tables: the apps table (every worker app, written
// from the registry's descriptions by scripts/readme-apps.mjs) and the LLM tasks table (the LLM
// queues). Both must name exactly the tasks the catalog puts on each queue, so a task added to a
// queue (or moved, or removed) fails here until the README says so.
const README = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
const TASK_NAME = /^[a-z][a-z0-9_]*$/;

/** The catalog's tasks of each queue, sorted. */
const catalog = Object.fromEntries(QUEUE_NAMES.map((queue) => [queue, [...tasksOfQueue(queue)].sort()]));

/** The table rows of the README whose first cell is one of these (Markdown cells, trimmed). */
function rows(readme: string, firstCells: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    if (cells.length >= 4 && firstCells.includes(cells[1]!)) found.set(cells[1]!, cells[2]!);
  }
  return found;
}

/** The task names a cell lists: each `code` span's first word that reads as a task name. */
const tasksIn = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.split(' ')[0]!).filter((name) => TASK_NAME.test(name));

/** Queue → the tasks its worker's row of the apps table names after "queue `<queue>`:", sorted. */
function appsTableTasks(readme: string): Record<string, string[]> {
  const workers = APPS.filter((app) => app.kind === 'worker');
  const cells = rows(
    readme,
    workers.map((app) => `\`apps/${app.name}\``),
  );
  return Object.fromEntries(
    workers.map((app) => {
      const cell = cells.get(`\`apps/${app.name}\``) ?? '';
      const prefix = `queue \`${app.queue}\`:`;
      return [app.queue!, cell.startsWith(prefix) ? tasksIn(cell.slice(prefix.length)).sort() : [`(no row starting "${prefix}")`]];
    }),
  );
}

/** Queue → the tasks the LLM tasks table lists for it, sorted. */
function llmTableTasks(readme: string, queues: QueueName[]): Record<string, string[]> {
  const cells = rows(readme, queues);
  return Object.fromEntries(queues.map((queue) => [queue, tasksIn(cells.get(queue) ?? '').sort()]));
}

describe("the README's task tables against the task catalog", () => {
  it('the apps table names every task of each worker app’s queue, and no other', () => {
    expect(appsTableTasks(README)).toEqual(catalog);
  });

  it('the LLM tasks table names every task of the analysis and generation queues, and no other', () => {
    const llmQueues: QueueName[] = ['analysis', 'generation'];
    expect(llmTableTasks(README, llmQueues)).toEqual(Object.fromEntries(llmQueues.map((queue) => [queue, catalog[queue]])));
  });

  it('notices a task the apps table leaves out', () => {
    const withoutOne = README.replace(', `capture_metrics` (X)', ' (X)');
    expect(withoutOne).not.toBe(README);
    expect(appsTableTasks(withoutOne).publishing).toEqual(catalog.publishing!.filter((task) => task !== 'capture_metrics'));
  });
});
