// A NUL, or half of a surrogate pair (which only JSON's \u escapes can produce).
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why Postgres could not store this text (a NUL character, or an unpaired UTF-16 surrogate,
 * which text and jsonb both refuse), or undefined when it can.
 */
export function unstorableText(text: string): string | undefined {
  const found = UNSTORABLE.exec(text);
  if (!found) return undefined;
  return found[0] === '\u0000' ? 'it contains a NUL character (\\u0000)' : 'it contains a broken character (an unpaired \\u surrogate escape)';
}
