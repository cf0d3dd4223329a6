import { AttemptFencedError, HardTimeLimitError, PermanentError, RetryLaterError, SoftTimeLimitError, TaskRevokedError, WorkerShutdownError } from '../src';

describe('the errors a handler throws or sees', () => {
  const cause = new Error('the underlying failure');
  const made = [
    new PermanentError('bad input', 'BAD_INPUT', { cause }),
    new RetryLaterError('rate limited', 2_000, { cause }),
    new SoftTimeLimitError(100, { cause }),
    new HardTimeLimitError(200, { cause }),
    new TaskRevokedError({ cause }),
    new WorkerShutdownError({ cause }),
    new AttemptFencedError({ cause }),
  ];

  it('keep the error they were made from as an ES2022 cause', () => {
    for (const error of made) expect(error.cause).toBe(cause);
  });

  it('carry their own name, which the worker classifies by, and their fields', () => {
    expect(made.map((e) => e.name)).toEqual([
      'PermanentError',
      'RetryLaterError',
      'SoftTimeLimitError',
      'HardTimeLimitError',
      'TaskRevokedError',
      'WorkerShutdownError',
      'AttemptFencedError',
    ]);
    expect(made[0]).toMatchObject({ code: 'BAD_INPUT', message: 'bad input' });
    expect(made[1]).toMatchObject({ retryAfterMs: 2_000 });
    expect(made[2]).toMatchObject({ limitMs: 100 });
    expect(made[3]).toMatchObject({ limitMs: 200 });
  });

  it('have no cause unless given one', () => {
    expect(new PermanentError('no').cause).toBeUndefined();
    expect(new TaskRevokedError().cause).toBeUndefined();
  });
});
