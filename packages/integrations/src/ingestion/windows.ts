import type { TimeWindow } from './source';

/** Windows a run may walk at most: a longer span is left for the next run (the watermark says where). */
export const MAX_WINDOWS_PER_RUN = 10_000;

/**
 * [from, to) cut into consecutive windows of at most sizeMs, oldest first, with no gap and no
 * overlap: the next window starts exactly where the one before ended.
 */
export function splitWindow(span: TimeWindow, sizeMs: number): TimeWindow[] {
  if (!(sizeMs > 0)) throw new Error('a window size must be above 0 ms');
  const windows: TimeWindow[] = [];
  for (let from = span.from.getTime(); from < span.to.getTime() && windows.length < MAX_WINDOWS_PER_RUN; from += sizeMs) {
    windows.push({ from: new Date(from), to: new Date(Math.min(from + sizeMs, span.to.getTime())) });
  }
  return windows;
}

/** What an incremental run covers: from the watermark (or the source's initial lookback) to now; null when nothing is due. */
export function incrementalSpan(watermark: Date | null, now: Date, initialLookbackMs: number): TimeWindow | null {
  const from = watermark ?? new Date(now.getTime() - initialLookbackMs);
  return from < now ? { from, to: now } : null;
}
