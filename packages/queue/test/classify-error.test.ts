import { HardTimeLimitError, PermanentError, RetryLaterError, TaskPolicies, backoffDelayMs } from '@conveyor/contracts';
import { classifyError } from '../src';

describe('classifyError', () => {
  it('treats only PermanentError as permanent, by name so copies from other bundles count', () => {
    expect(classifyError(new PermanentError('no', 'BAD')).kind).toBe('permanent');
    expect(classifyError(Object.assign(new Error('x'), { name: 'PermanentError' })).kind).toBe('permanent');
    expect(classifyError(new Error('boom')).kind).toBe('transient');
    expect(classifyError(new HardTimeLimitError(10)).kind).toBe('transient');
    expect(classifyError('a string').error).toEqual({ type: 'Error', message: 'a string' });
  });

  it('reads a Retry-After from any error and caps it at an hour', () => {
    expect(classifyError(new RetryLaterError('slow down', 2500)).retryAfterMs).toBe(2500);
    expect(classifyError(Object.assign(new Error('x'), { retryAfterMs: 9e9 })).retryAfterMs).toBe(3_600_000);
    expect(classifyError(Object.assign(new Error('x'), { retryAfterMs: -1 })).retryAfterMs).toBeUndefined();
  });
});

describe('backoffDelayMs', () => {
  const policy = new TaskPolicies({ test_task: { backoff: { baseMs: 100, maxMs: 1000 } } }).get('test_task');
  it('doubles per attempt, caps, and keeps jitter within half to all of the step', () => {
    expect([1, 2, 3, 4, 5, 9].map((a) => backoffDelayMs(policy, a, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(200);
    for (let i = 0; i < 100; i += 1) {
      const d = backoffDelayMs(policy, 3);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
});
