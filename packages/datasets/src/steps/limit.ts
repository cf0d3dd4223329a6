import type { StepRunner } from '../run/tracked-row';

/** Whether a limit reached its count while rows were still coming: what it has not read, it dropped. */
export interface LimitStop {
  stopped: boolean;
}

/** Keeps the first `count` rows, then stops reading (so the steps before it, and the input, stop too). */
export function limitRows(count: number, stop: LimitStop): StepRunner {
  return async function* (input, stats) {
    if (count === 0) {
      stop.stopped = true;
      return;
    }
    for await (const chunk of input) {
      stats.rowsIn += chunk.length;
      const room = count - stats.rowsOut;
      const kept = chunk.length > room ? chunk.slice(0, room) : chunk;
      stats.rowsOut += kept.length;
      yield kept;
      if (stats.rowsOut === count) {
        stop.stopped = true;
        return;
      }
    }
  };
}
