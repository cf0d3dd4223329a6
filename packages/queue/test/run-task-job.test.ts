import type { Database } from '@conveyor/db';
import { claimTask } from '@conveyor/db';
import type { Kysely } from 'kysely';
import { type RunTaskDeps, runTaskJob } from '../src';
import { addTask, openTestDb, quietLogger, taskRow } from './helpers';

let db: Kysely<Database>;
let tenantId: string;
let close: () => Promise<void>;
beforeAll(async () => ({ db, tenantId, close } = await openTestDb()));
afterAll(() => close());

function deps(handlers: RunTaskDeps['handlers']): RunTaskDeps {
  return { db, queue: 'monitoring', handlers, logger: quietLogger() };
}

describe('runTaskJob', () => {
  it('runs the handler, records progress and commits the validated result', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'hello' });
    const seen: unknown[] = [];
    const handlers = {
      test_task: async (payload: { message: string; steps: number }, ctx: { progress: (p: number, m?: string) => Promise<void> }) => {
        seen.push(payload);
        await ctx.progress(50, 'half way');
        const mid = await taskRow(db, task.id);
        expect(mid).toMatchObject({ status: 'PROGRESS', progress: 50, message: 'half way' });
        return { echo: payload.message };
      },
    };
    expect(await runTaskJob(deps(handlers as never), { task_id: task.id })).toBe('success');
    expect(seen).toEqual([{ message: 'hello', steps: 5, step_ms: 200 }]);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'SUCCESS', result: { echo: 'hello' }, progress: 100, attempt: 1 });
  });

  it('does not run a task again when its job is delivered twice after SUCCESS', async () => {
    const task = await addTask(db, tenantId, 'ping', {});
    let runs = 0;
    const handlers = { ping: async () => { runs += 1; return 'pong'; } };
    expect(await runTaskJob(deps(handlers as never), { task_id: task.id })).toBe('success');
    expect(await runTaskJob(deps(handlers as never), { task_id: task.id })).toBe('skipped');
    expect(runs).toBe(1);
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'SUCCESS', attempt: 1, result: 'pong' });
  });

  it('fences off a stale attempt: its late result never overwrites the newer attempt', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 'race' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stale = runTaskJob(
      deps({ test_task: async () => { await gate; return { echo: 'stale' }; } } as never),
      { task_id: task.id },
    );
    // Wait until the first attempt has claimed, then let a redelivery claim and finish.
    while ((await taskRow(db, task.id)).attempt < 1) await new Promise((r) => setTimeout(r, 10));
    expect(await runTaskJob(deps({ test_task: async () => ({ echo: 'fresh' }) } as never), { task_id: task.id })).toBe('success');
    release();
    expect(await stale).toBe('fenced');
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'SUCCESS', attempt: 2, result: { echo: 'fresh' } });
  });

  it('records a failure with the error name and a message free of secrets', async () => {
    const task = await addTask(db, tenantId, 'ping', {});
    const handlers = { ping: async () => { throw Object.assign(new Error('upstream refused Bearer abcdefghijklmnop'), { name: 'UpstreamError' }); } };
    expect(await runTaskJob(deps(handlers as never), { task_id: task.id })).toBe('failure');
    const row = await taskRow(db, task.id);
    expect(row.status).toBe('FAILURE');
    expect(row.error).toEqual({ type: 'UpstreamError', message: 'upstream refused Bearer [redacted]' });
    expect(row.finished_at).toBeInstanceOf(Date);
  });

  it('fails a task whose stored payload breaks its contract, without running the handler', async () => {
    const task = await addTask(db, tenantId, 'test_task', { message: 42 });
    let ran = false;
    expect(await runTaskJob(deps({ test_task: async () => { ran = true; return { echo: '' }; } } as never), { task_id: task.id })).toBe('failure');
    expect(ran).toBe(false);
    expect((await taskRow(db, task.id)).error).toMatchObject({ type: 'InvalidPayload', message: expect.stringContaining('message') });
  });

  it('fails a result that breaks the contract', async () => {
    const task = await addTask(db, tenantId, 'ping', {});
    expect(await runTaskJob(deps({ ping: async () => 'pang' } as never), { task_id: task.id })).toBe('failure');
    expect((await taskRow(db, task.id)).error).toMatchObject({ type: 'InvalidResult' });
  });

  it('fails a task this queue has no handler for', async () => {
    const task = await addTask(db, tenantId, 'ping', {});
    expect(await runTaskJob(deps({}), { task_id: task.id })).toBe('failure');
    expect((await taskRow(db, task.id)).error).toMatchObject({ type: 'UnknownTask' });
  });

  it('skips job data that is not a task reference and unknown task ids', async () => {
    expect(await runTaskJob(deps({}), { task_id: 'nope' })).toBe('skipped');
    expect(await runTaskJob(deps({}), { task_id: '00000000-0000-4000-8000-000000000000' })).toBe('skipped');
  });

  it('claims a task once per delivery even when deliveries race', async () => {
    const task = await addTask(db, tenantId, 'ping', {});
    let runs = 0;
    const handlers = { ping: async () => { runs += 1; return 'pong'; } };
    await claimTask(db, task.id); // a dead worker's attempt 1
    const outcomes = await Promise.all([runTaskJob(deps(handlers as never), { task_id: task.id }), runTaskJob(deps(handlers as never), { task_id: task.id })]);
    // Either both claimed (the older attempt is fenced) or the second came after SUCCESS (skipped).
    const [first, second] = outcomes.sort();
    expect(['fenced', 'skipped']).toContain(first);
    expect(second).toBe('success');
    expect(runs).toBe(first === 'fenced' ? 2 : 1);
    expect((await taskRow(db, task.id)).status).toBe('SUCCESS');
  });
});
