import type { XEndpoint } from '@conveyor/contracts';

/** What matching requests get instead of (or on top of) a normal answer. */
export interface XFault {
  /** The endpoint it applies to; '*' or absent: every endpoint. */
  endpoint?: XEndpoint | '*';
  /** Answer with this status (500, 503, 429...) without doing anything. */
  status?: number;
  /** Milliseconds to wait before answering (ends early when the client goes away). */
  delayMs?: number;
  /**
   * Destroy the connection without a word: `before-accept` without doing anything,
   * `after-accept` once the request has been carried out (the post is stored, then the client
   * sees its socket closed and cannot know).
   */
  drop?: 'before-accept' | 'after-accept';
  /**
   * Carry the request out, then keep the connection open without a word this long (ends early
   * when the client goes away) before answering or dropping: the window in which a test kills
   * the client that X has already served.
   */
  stallAfterAcceptMs?: number;
  /** How many matching requests it applies to; absent: every one. */
  times?: number;
  /** Chance (0-1) that a matching request gets it; absent: 1. A request spared does not use up `times`. */
  probability?: number;
}

/** The faults in force, first match wins; each request takes at most one. */
export class XFaults {
  private faults: XFault[] = [];

  constructor(private readonly random: () => number) {}

  add(fault: XFault): void {
    this.faults.push({ ...fault });
  }

  clear(): void {
    this.faults = [];
  }

  take(endpoint: XEndpoint): XFault | undefined {
    const fault = this.faults.find((f) => !f.endpoint || f.endpoint === '*' || f.endpoint === endpoint);
    if (!fault) return undefined;
    if (fault.probability !== undefined && this.random() >= fault.probability) return undefined;
    if (fault.times !== undefined && --fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }
}
