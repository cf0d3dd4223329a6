/** One server-sent event, as the HTML standard's EventSource would dispatch it. */
export interface SseMessage {
  event: string;
  data: string;
  /** The last event id the stream set so far (it carries over to later events, as in EventSource). */
  id: string | undefined;
}

/**
 * Reads the text/event-stream format from text chunks cut anywhere (inside a line, between
 * CR and LF): lines end with CRLF, LF or CR; a blank line dispatches; `:` starts a comment;
 * `retry:` sets the reconnection delay the server asks for.
 */
export class SseParser {
  /** Milliseconds the server asked to wait before reconnecting (`retry:`), if it said. */
  retryMs: number | undefined;
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private lastId: string | undefined;

  constructor(lastEventId?: string) {
    this.lastId = lastEventId;
  }

  /** The events that the text completes. */
  push(text: string): SseMessage[] {
    const out: SseMessage[] = [];
    const buffer = this.buffer + text;
    let start = 0;
    for (let i = 0; i < buffer.length; i += 1) {
      const c = buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (c === '\r' && i === buffer.length - 1) break;
      const line = buffer.slice(start, i);
      if (c === '\r' && buffer[i + 1] === '\n') i += 1;
      start = i + 1;
      this.line(line, out);
    }
    this.buffer = buffer.slice(start);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === '') {
      if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n'), id: this.lastId });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}
