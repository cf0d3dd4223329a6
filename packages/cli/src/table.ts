/** Rows as aligned columns under a header; an empty list says so instead. */
export function table(headers: string[], rows: (string | number | null | undefined)[][], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const cells = [headers, ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  return cells.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n');
}
