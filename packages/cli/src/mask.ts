/** A key shown by its first characters only, enough to tell keys apart and never enough to use one. */
export function maskKey(key: string): string {
  const shown = key.length >= 16 ? 8 : key.length >= 10 ? 4 : 0;
  return `${key.slice(0, shown)}…(${key.length} chars)`;
}

/** The text with every occurrence of the secrets replaced, as a last guard on what is printed. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  return out;
}
