/** What matching requests of a source get instead of (or before) a normal answer. */
export interface DataFault {
  /** The source it applies to; absent: every source. */
  source?: string;
  /** Answer with this status (429, 500, 503...) and the source's error body. */
  status?: number;
  /** With a 429 or 503: the Retry-After header, in seconds. */
  retryAfterS?: number;
  /** Wait this long before answering (a slow page; ends early when the client goes away). */
  delayMs?: number;
  /** Answer 200 with a page of the wrong shape. */
  malformed?: boolean;
  /** Destroy the connection without an answer (a network error). */
  drop?: boolean;
  /** Only requests whose URL (path and query) contains this text. */
  match?: string;
  /** How many matching requests it applies to; absent: every one. */
  times?: number;
}

/** The faults in force, first match wins; each request takes at most one. */
export class DataFaults {
  private faults: DataFault[] = [];

  add(fault: DataFault): void {
    this.faults.push({ ...fault });
  }

  clear(): void {
    this.faults = [];
  }

  take(source: string, pathAndQuery: string): DataFault | undefined {
    const fault = this.faults.find((f) => (!f.source || f.source === source) && (!f.match || pathAndQuery.includes(f.match)));
    if (!fault) return undefined;
    if (fault.times !== undefined && --fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }
}
