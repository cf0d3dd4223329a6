/**
 * The items of source until the signal aborts, then the signal's reason thrown: also while
 * waiting for the next item, so a source that stalls cannot hold the reader past an abort.
 * The source is told to stop (its return()) however the reading ends.
 *
 * Each wait listens to the signal only while it lasts. (Racing every next() against one
 * promise of the abort kept each item reachable from that promise, which never settles: an
 * upload of a million rows held all of them.)
 */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  if (!signal) {
    yield* source;
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await nextOrAbort(iterator, signal);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
      signal.throwIfAborted();
    }
  } finally {
    // Not awaited: a stalled source's return() waits for its pending next().
    if (!finished) iterator.return?.()?.catch(() => undefined);
  }
}

/** The iterator's next item, or the signal's reason as soon as it aborts. */
function nextOrAbort<T>(iterator: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    iterator.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** What an aborted signal throws: its reason, or an AbortError when it has none. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}
