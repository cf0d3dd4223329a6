import { AttemptGate } from '../src/attempt-gate';

const tick = () => new Promise((r) => setImmediate(r));

describe('AttemptGate', () => {
  it('lets ordinary attempts run together', async () => {
    const gate = new AttemptGate();
    const releases = await Promise.all([gate.acquire(false), gate.acquire(false), gate.acquire(false)]);
    expect(gate.state).toEqual({ shared: 3, exclusive: false, waiting: 0 });
    releases.forEach((r) => r());
    expect(gate.state.shared).toBe(0);
  });

  it('runs a suspect alone: it waits for the running ones, and later ones wait for it', async () => {
    const gate = new AttemptGate();
    const order: string[] = [];
    const first = await gate.acquire(false);
    const suspect = gate.acquire(true).then((release) => (order.push('suspect'), release));
    const later = gate.acquire(false).then((release) => (order.push('later'), release));
    await tick();
    expect(order).toEqual([]);
    expect(gate.state).toEqual({ shared: 1, exclusive: false, waiting: 2 });
    first();
    const releaseSuspect = await suspect;
    await tick();
    expect(order).toEqual(['suspect']);
    expect(gate.state).toEqual({ shared: 0, exclusive: true, waiting: 1 });
    releaseSuspect();
    (await later)();
    expect(order).toEqual(['suspect', 'later']);
    expect(gate.state).toEqual({ shared: 0, exclusive: false, waiting: 0 });
  });

  it('runs two suspects one after the other', async () => {
    const gate = new AttemptGate();
    const a = await gate.acquire(true);
    let bIn = false;
    const b = gate.acquire(true).then((release) => ((bIn = true), release));
    await tick();
    expect(bIn).toBe(false);
    a();
    (await b)();
    expect(bIn).toBe(true);
  });

  it('gives up waiting when the signal fires, and lets the others through', async () => {
    const gate = new AttemptGate();
    const running = await gate.acquire(false);
    const controller = new AbortController();
    const suspect = gate.acquire(true, controller.signal);
    const ordinary = gate.acquire(false);
    controller.abort(new Error('shutdown'));
    await expect(suspect).rejects.toThrow('shutdown');
    (await ordinary)();
    running();
    expect(gate.state).toEqual({ shared: 0, exclusive: false, waiting: 0 });
  });

  it('tryAcquire enters at once when it may, and never when it would have to wait', () => {
    const gate = new AttemptGate();
    const ordinary = gate.tryAcquire(false)!;
    expect(gate.tryAcquire(true)).toBeUndefined();
    ordinary();
    const suspect = gate.tryAcquire(true)!;
    expect(gate.tryAcquire(false)).toBeUndefined();
    suspect();
    expect(gate.state).toEqual({ shared: 0, exclusive: false, waiting: 0 });
  });

  it('releases only once', async () => {
    const gate = new AttemptGate();
    const release = await gate.acquire(false);
    await gate.acquire(false);
    release();
    release();
    expect(gate.state.shared).toBe(1);
  });
});
