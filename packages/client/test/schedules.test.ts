import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, type ScheduleView, ValidationError } from '../src';
import { type ClientStack, startStack } from './support/stack';

// Schedules, usage and the task catalog through the client, against the real API process.

let s: ClientStack;
beforeAll(async () => {
  s = await startStack({ worker: false });
}, 300_000);
afterAll(() => s?.stack.stop(), 30_000);

it('creates, reads, lists, changes, disables, enables, triggers and deletes schedules', async () => {
  const conveyor = await s.tenant();
  const created = await conveyor.schedules.create({
    name: 'nightly',
    task: 'test_task',
    payload: { message: 'night' },
    kind: 'cron',
    cron: '0 3 * * *',
    timezone: 'Europe/Berlin',
  });
  expect(created).toMatchObject({ name: 'nightly', task: 'test_task', kind: 'cron', cron: '0 3 * * *', timezone: 'Europe/Berlin', enabled: true });
  expect(created.next_fire_times).toHaveLength(5);
  expect(await conveyor.schedules.get(created.schedule_id)).toEqual(created);

  const names = ['a-once', 'b-weekly'];
  await conveyor.schedules.create({ name: names[0]!, task: 'ping', kind: 'one_shot', run_at: new Date(Date.now() + 3_600_000).toISOString() });
  await conveyor.schedules.create({
    name: names[1]!,
    task: 'ping',
    kind: 'rrule',
    rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0',
    dtstart: '2026-01-05T09:00',
  });
  const listed: ScheduleView[] = [];
  for await (const schedule of conveyor.schedules.list({ limit: 2 })) listed.push(schedule);
  expect(listed.map((x) => x.name)).toEqual([...names, 'nightly']);
  const page = await conveyor.schedules.listPage({ limit: 2 });
  expect(page.schedules.map((x) => x.name)).toEqual(names);
  expect((await conveyor.schedules.listPage({ limit: 2, cursor: page.nextCursor! })).schedules.map((x) => x.name)).toEqual(['nightly']);

  expect(await conveyor.schedules.update(created.schedule_id, { cron: '30 4 * * *', misfire_policy: 'skip' })).toMatchObject({
    cron: '30 4 * * *',
    misfire_policy: 'skip',
  });
  expect(await conveyor.schedules.disable(created.schedule_id)).toMatchObject({ enabled: false, next_fire_times: [] });
  expect(await conveyor.schedules.enable(created.schedule_id)).toMatchObject({ enabled: true });

  const fired = await conveyor.schedules.trigger(created.schedule_id);
  expect(fired).toEqual({ id: expect.any(String), status: 'PENDING', created: true });
  expect(await conveyor.tasks.get(fired.id)).toMatchObject({ task: 'test_task', schedule_id: created.schedule_id, payload: { message: 'night' } });
  const fromSchedule = [];
  for await (const task of conveyor.tasks.list({ scheduleId: created.schedule_id })) fromSchedule.push(task.task_id);
  expect(fromSchedule).toEqual([fired.id]);

  await conveyor.schedules.delete(created.schedule_id);
  await expect(conveyor.schedules.get(created.schedule_id)).rejects.toBeInstanceOf(NotFoundError);
});

it('names the problem of a schedule it refuses', async () => {
  const conveyor = await s.tenant();
  const error = await conveyor.schedules
    .create({ name: 'bad', task: 'ping', kind: 'cron', cron: '0 3 * * *', timezone: 'Mars/Olympus' })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect(error).toMatchObject({ issues: [{ path: 'timezone', message: expect.stringContaining('unknown time zone') }] });

  await conveyor.schedules.create({ name: 'taken', task: 'ping', kind: 'cron', cron: '0 3 * * *' });
  await expect(conveyor.schedules.create({ name: 'taken', task: 'ping', kind: 'cron', cron: '0 4 * * *' })).rejects.toBeInstanceOf(ConflictError);
  await expect(conveyor.schedules.update(randomUUID(), { name: 'x' })).rejects.toMatchObject({ status: 404, code: 'schedule_not_found' });
});

it('reads the usage of the period and the task types on offer', async () => {
  const conveyor = await s.tenant('growth');
  expect(await conveyor.usage.get()).toMatchObject({ plan: 'growth', spent_usd: 0, reserved_usd: 0, by_action: [], period_start: expect.any(String) });
  const types = await conveyor.taskTypes.list();
  const testTask = types.find((t) => t.name === 'test_task');
  expect(testTask).toMatchObject({ queue: 'monitoring', policy: { attempts: 3 }, payload_schema: { type: 'object' } });
  expect(Object.keys((testTask!.payload_schema as { properties: object }).properties)).toContain('fail_attempts');
});
