/**
 * Runs `run` again intervalMs after each run ends (so runs never overlap in one process),
 * first after firstDelayMs. `run` must handle its own errors. Returns stop(), which waits
 * for a run in progress.
 */
export function startLoop(run: () => Promise<void>, intervalMs: number, firstDelayMs: number): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = run().finally(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  timer = setTimeout(tick, firstDelayMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await current;
  };
}
