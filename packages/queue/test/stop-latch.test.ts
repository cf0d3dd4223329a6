import { StopLatch } from '../src/stop-signal';

describe('StopLatch', () => {
  it('runs its listeners once, in order, with the first reason; removed and late listeners never run', () => {
    const latch = new StopLatch();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    latch.addEventListener('abort', () => calls.push(`first ${String(latch.reason)}`));
    latch.addEventListener('abort', removed);
    latch.addEventListener('abort', () => calls.push('second'));
    latch.removeEventListener('abort', removed);
    expect(latch.aborted).toBe(false);
    latch.stop('revoked');
    latch.stop('shutdown');
    latch.addEventListener('abort', () => calls.push('late'));
    expect(latch).toMatchObject({ aborted: true, reason: 'revoked' });
    expect(calls).toEqual(['first revoked', 'second']);
  });
});
