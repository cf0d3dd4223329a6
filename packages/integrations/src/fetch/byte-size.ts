const KB = 1024;
const MB = 1024 * KB;

/** A size for a message, in the units X states its limits in: "6.2 MB", "5 MB", "900 KB", "12 bytes". */
export function formatBytes(bytes: number): string {
  const trim = (n: number) => n.toFixed(1).replace(/\.0$/, '');
  if (bytes >= MB) return `${trim(bytes / MB)} MB`;
  if (bytes >= KB) return `${trim(bytes / KB)} KB`;
  return `${bytes} bytes`;
}
