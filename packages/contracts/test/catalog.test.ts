import { QUEUE_NAMES, TASK_CATALOG, TASK_NAMES, getTaskDefinition, jobDataSchema, submitTaskBodySchema, tasksOfQueue } from '../src';

describe('task catalog', () => {
  it('keys every task by its own name on a known queue', () => {
    for (const [name, def] of Object.entries(TASK_CATALOG)) {
      expect(def.name).toBe(name);
      expect(QUEUE_NAMES).toContain(def.queue);
      expect(def.defaults.attempts).toBeGreaterThanOrEqual(1);
    }
    expect(tasksOfQueue('monitoring')).toEqual(['ping', 'test_task']);
  });

  it('does not treat prototype keys as task names', () => {
    expect(getTaskDefinition('constructor')).toBeUndefined();
    expect(getTaskDefinition('__proto__')).toBeUndefined();
    expect(TASK_NAMES).not.toContain('toString');
  });

  it('validates test_task payloads and fills defaults', () => {
    expect(TASK_CATALOG.test_task.payload.parse({ message: 'hi' })).toEqual({ message: 'hi', steps: 5, step_ms: 200 });
    expect(TASK_CATALOG.test_task.payload.safeParse({ message: '' }).success).toBe(false);
    expect(TASK_CATALOG.test_task.payload.safeParse({ message: 'x', steps: 1000 }).success).toBe(false);
    expect(TASK_CATALOG.test_task.payload.safeParse({ message: 'x', extra: 1 }).success).toBe(false);
    expect(TASK_CATALOG.ping.result.safeParse('pong').success).toBe(true);
    expect(TASK_CATALOG.ping.result.safeParse('pang').success).toBe(false);
  });

  it('rejects submission bodies with unknown fields or a non-object payload', () => {
    expect(submitTaskBodySchema.safeParse({ task: 'ping' }).success).toBe(true);
    expect(submitTaskBodySchema.safeParse({ task: 'ping', payload: [1] }).success).toBe(false);
    expect(submitTaskBodySchema.safeParse({ task: 'ping', bogus: true }).success).toBe(false);
    expect(jobDataSchema.safeParse({ task_id: 'not-a-uuid' }).success).toBe(false);
    // An envelope carries one or more task ids, nothing else.
    expect(jobDataSchema.safeParse({ task_ids: ['00000000-0000-4000-8000-000000000001'] }).success).toBe(true);
    expect(jobDataSchema.safeParse({ task_ids: [] }).success).toBe(false);
    expect(jobDataSchema.safeParse({ task_ids: ['00000000-0000-4000-8000-000000000001'], task_id: '00000000-0000-4000-8000-000000000001' }).success).toBe(
      false,
    );
  });
});
