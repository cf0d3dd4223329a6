import type { SimAnswer } from './data-route';

// The XML some sources answer when JSON is not asked for (FRED, the World Bank): enough of it
// that a client forgetting its format parameter sees XML, not the JSON it expected.

export function xmlAnswer(status: number, element: string): SimAnswer {
  return { status, body: `<?xml version="1.0" encoding="utf-8" ?>\n${element}\n`, headers: { 'content-type': 'text/xml; charset=utf-8' } };
}

/** ` name="value"` for each entry, escaped. */
export function xmlAttributes(values: Record<string, string | number | null>): string {
  const escape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${escape(String(value ?? ''))}"`)
    .join('');
}

/** Text for an XML element's content, escaped. */
export function xmlText(value: string | number | null): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;');
}
