/**
 * What can stop an attempt from outside (a revoke, a shutdown): BullMQ's job signal, an
 * AbortSignal, or an envelope member's StopLatch. Only what the attempt and the gate use.
 */
export interface StopSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A StopSignal without an AbortController: one per envelope member, so a revoke can reach one
 * task of an envelope. On Node 20 an AbortSignal costs 5–9 µs of CPU (and garbage) to create;
 * a member that is never stopped, the usual one, should not pay that. Listeners run once, in
 * the order they were added, when it is first stopped; one added after that never runs (as
 * with an AbortSignal).
 */
export class StopLatch implements StopSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;

  stop(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.listeners!.splice(i, 1);
  }
}
