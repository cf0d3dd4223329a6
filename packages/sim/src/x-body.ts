import type http from 'node:http';

/** A request body, whichever way X accepts it: JSON, a form, or multipart with a file part. */
export interface XBody {
  /** Text fields (JSON values as they came; form and multipart fields as strings). */
  fields: Record<string, unknown>;
  /** File parts by field name (multipart `media`). */
  files: Record<string, Buffer>;
  /** The body was not parsable as its content-type says. */
  malformed: boolean;
}

export async function readBody(req: http.IncomingMessage): Promise<XBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  const empty: XBody = { fields: {}, files: {}, malformed: false };
  if (raw.length === 0) return empty;
  if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary="?([^";]+)"?/.exec(type)?.[1];
    return boundary ? multipart(raw, boundary) : { ...empty, malformed: true };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return { ...empty, fields: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) };
  }
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { ...empty, fields: parsed as Record<string, unknown> };
  } catch {
    // falls through to malformed
  }
  return { ...empty, malformed: true };
}

/** Splits a multipart body on its boundary: a part with a filename is a file, any other a field. */
function multipart(raw: Buffer, boundary: string): XBody {
  const body: XBody = { fields: {}, files: {}, malformed: false };
  const delimiter = Buffer.from(`--${boundary}`);
  let at = raw.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length + 2; // past the delimiter's CRLF
    const next = raw.indexOf(delimiter, start);
    if (next === -1) break;
    const part = raw.subarray(start, next - 2); // without the CRLF before the next delimiter
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const content = part.subarray(headerEnd + 4);
      const name = /name="([^"]*)"/.exec(headers)?.[1];
      if (name !== undefined) {
        if (/filename="/.test(headers) || name === 'media') body.files[name] = content;
        else body.fields[name] = content.toString('utf8');
      }
    }
    at = next;
  }
  return body;
}
