/**
 * The item a cursor walks to after `current` in a configured list (FRED_SERIES,
 * WORLDBANK_INDICATORS, COMTRADE_REPORTERS); undefined after the last. A cursor naming an item
 * the list no longer has (the setting changed between pages) is refused, naming it.
 */
export function itemAfter(list: readonly string[], current: string, what: { noun: string; variable: string }): string | undefined {
  const position = list.indexOf(current);
  if (position < 0) throw new Error(`the cursor names the ${what.noun} ${current}, which ${what.variable} no longer has: run the window again`);
  return list[position + 1];
}
