import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Database, type TaskLogInput, createTenantWithKey, insertTask, insertTaskLogs, listTaskLogs, truncatedLogMessage } from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
let tenantId: string;
beforeAll(async () => {
  ({ db, close } = await openTestDb());
  tenantId = (await createTenantWithKey(db, { name: 'logs', plan: 'trial' })).tenant.id;
});
afterAll(() => close());

const line = (message: string): TaskLogInput => ({ level: 'info', message, fields: null, at: new Date().toISOString() });
const newTask = () => insertTask(db, { id: randomUUID(), tenant_id: tenantId, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1 });
const batch = (taskId: string, messages: string[], overflowed = false, attempt = 1) => ({ taskId, tenantId, attempt, lines: messages.map(line), overflowed });
const messagesOf = async (taskId: string) => (await listTaskLogs(db, taskId, { limit: 100 })).rows.map((r) => r.message);

describe('insertTaskLogs: the cap of a task', () => {
  it('keeps lines up to the cap; a batch that just reaches it is not full; the next line is refused and marked once', async () => {
    const task = await newTask();
    expect(await insertTaskLogs(db, batch(task.id, ['a', 'b', 'c']), 3)).toMatchObject({
      full: false,
      rows: [{ message: 'a' }, { message: 'b' }, { message: 'c' }],
    });
    const over = await insertTaskLogs(db, batch(task.id, ['d'], false, 2), 3);
    expect(over).toMatchObject({ full: true, rows: [{ message: truncatedLogMessage(3), level: 'warn', attempt: 2 }] });
    expect(await insertTaskLogs(db, batch(task.id, ['e', 'f']), 3)).toEqual({ full: true, rows: [] });
    expect(await messagesOf(task.id)).toEqual(['a', 'b', 'c', truncatedLogMessage(3)]);
  });

  it('keeps what fits of a batch that passes the cap, then the marker; an attempt that dropped lines itself gets the marker too', async () => {
    const task = await newTask();
    expect((await insertTaskLogs(db, batch(task.id, ['a', 'b', 'c', 'd']), 2)).rows.map((r) => r.message)).toEqual(['a', 'b', truncatedLogMessage(2)]);
    const other = await newTask();
    expect(await insertTaskLogs(db, batch(other.id, [], true), 5)).toMatchObject({ full: true, rows: [{ message: truncatedLogMessage(5) }] });
  });

  it('pages a task’s lines oldest first, by an opaque cursor', async () => {
    const task = await newTask();
    await insertTaskLogs(db, batch(task.id, ['1', '2', '3', '4', '5']), 100);
    const first = await listTaskLogs(db, task.id, { limit: 2 });
    expect(first.rows.map((r) => r.message)).toEqual(['1', '2']);
    expect(first.next).toEqual(expect.any(String));
    const rest = await listTaskLogs(db, task.id, { limit: 10, afterSeq: first.rows[1]!.seq });
    expect(rest.rows.map((r) => r.message)).toEqual(['3', '4', '5']);
    expect(rest.next).toBeUndefined();
  });
});
