import { setImmediate as nextTurn } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { untilAborted } from '../src/datasets/until-aborted';

// untilAborted is what every node write reads its rows through (an upload, a transformation),
// so it must hold nothing it has passed on: a million-row upload once kept every chunk.

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function* bigItems(count: number, seen: WeakRef<object>[]): AsyncGenerator<{ payload: number[] }> {
  for (let i = 0; i < count; i += 1) {
    const item = { payload: new Array(1000).fill(i) };
    seen.push(new WeakRef(item));
    yield item;
  }
}

describe('untilAborted', () => {
  it('keeps no item it has passed on while the signal lives', async () => {
    const seen: WeakRef<object>[] = [];
    const controller = new AbortController();
    let read = 0;
    let alive = -1;
    for await (const item of untilAborted(bigItems(200, seen), controller.signal)) {
      read += item.payload.length > 0 ? 1 : 0;
      if (read < 150) continue;
      // Still reading (the reader's state and the signal alive): the items read before must be collectable.
      await nextTurn();
      gc();
      await nextTurn();
      alive = seen.slice(0, 100).filter((ref) => ref.deref() !== undefined).length;
      break;
    }
    expect(alive).toBeGreaterThanOrEqual(0);
    expect(alive).toBeLessThan(5);
    expect(controller.signal.aborted).toBe(false);
  });

  it('stops a reader waiting for an item when the signal aborts, and tells the source to stop', async () => {
    const controller = new AbortController();
    let returned = false;
    const stalled: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<number>>(() => undefined),
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const reading = (async () => {
      for await (const _ of untilAborted(stalled, controller.signal)) void _;
    })();
    controller.abort(new Error('time limit'));
    await expect(reading).rejects.toThrow('time limit');
    expect(returned).toBe(true);
  });
});
