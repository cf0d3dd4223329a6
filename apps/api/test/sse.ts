/** One server-sent event as the stream wrote it: its fields, data not yet parsed. */
export interface SseBlock {
  id?: string;
  event?: string;
  data?: string;
}

/**
 * The events of a text/event-stream body, a chunk's worth at a time (the events that chunk
 * completed), so a reader can stop after any chunk as a client dropping the connection would.
 */
export async function* sseBatches(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseBlock[]> {
  let text = '';
  for await (const chunk of body) {
    text += Buffer.from(chunk).toString();
    const batch: SseBlock[] = [];
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const [id, event, data] = ['id', 'event', 'data'].map((field) => new RegExp(`^${field}: (.*)$`, 'm').exec(block)?.[1]);
      batch.push({ id, event, data });
    }
    yield batch;
  }
}
