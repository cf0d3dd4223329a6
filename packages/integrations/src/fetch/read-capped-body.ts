/**
 * Reads a response body into one Buffer, stopping (and cancelling the stream, which closes the
 * connection) as soon as it passes maxBytes: a server that sends no Content-Length, or lies in
 * it, costs at most maxBytes of memory. `tooLarge` makes the error thrown then.
 */
export async function readCappedBody(body: ReadableStream<Uint8Array> | null, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}
