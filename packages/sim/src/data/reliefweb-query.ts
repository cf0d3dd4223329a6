import { asList, type BracketValue } from './bracket-params';
import { type ReliefwebReport, reliefwebDate } from './reliefweb-reports';

/** A request ReliefWeb refuses with 400 and this message. */
export class ReliefwebBadRequest extends Error {}

const DATE_FIELDS = new Set(['date.created', 'date.changed', 'date.original']);
const SORT_FIELDS = new Set([...DATE_FIELDS, 'id', 'title']);
const VALUE_FIELDS = new Set([
  'id',
  'title',
  'status',
  'primary_country.iso3',
  'primary_country.name',
  'country.iso3',
  'country.name',
  'source.shortname',
  'source.name',
  'format.name',
  'theme.name',
  'language.code',
  'language.name',
  'disaster_type.name',
  'disaster_type.code',
]);
/** A taxonomy named alone (filter[field]=country) filters on its name. */
const SHORTHANDS: Readonly<Record<string, string>> = {
  country: 'country.name',
  primary_country: 'primary_country.name',
  source: 'source.name',
  format: 'format.name',
  theme: 'theme.name',
  language: 'language.name',
  disaster_type: 'disaster_type.name',
};
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The values at a dotted path of a report's fields; lists on the way are flattened. */
function valuesAt(fields: unknown, path: string): unknown[] {
  let values: unknown[] = [fields];
  for (const key of path.split('.')) {
    values = values
      .flatMap((v) => (Array.isArray(v) ? v : [v]))
      .flatMap((v) => (v && typeof v === 'object' && key in v ? [(v as Record<string, unknown>)[key]] : []));
  }
  return values.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

/** Whether a report passes a filter (field/value/operator/negate, or conditions). */
export function passesFilter(filter: BracketValue, report: ReliefwebReport): boolean {
  if (typeof filter !== 'object' || Array.isArray(filter)) throw new ReliefwebBadRequest('Invalid filter: it must be an object with a field or conditions.');
  const operator = String(filter.operator ?? 'AND').toUpperCase();
  if (operator !== 'AND' && operator !== 'OR')
    throw new ReliefwebBadRequest(`Invalid filter operator '${String(filter.operator)}'. Valid values are 'AND', 'OR'.`);
  let passes: boolean;
  if (filter.conditions !== undefined) {
    const results = asList(filter.conditions).map((condition) => passesFilter(condition, report));
    passes = operator === 'OR' ? results.some(Boolean) : results.every(Boolean);
  } else {
    if (typeof filter.field !== 'string') throw new ReliefwebBadRequest('Invalid filter: a filter needs a field or conditions.');
    const field = SHORTHANDS[filter.field] ?? filter.field;
    passes = passesCondition(field, filter.value, operator, report);
  }
  return filter.negate === 'true' || filter.negate === '1' ? !passes : passes;
}

function passesCondition(field: string, value: BracketValue | undefined, operator: string, report: ReliefwebReport): boolean {
  if (!DATE_FIELDS.has(field) && !VALUE_FIELDS.has(field) && field !== 'headline') throw new ReliefwebBadRequest(`Invalid filter field '${field}'.`);
  const found = field === 'date.created' ? [reliefwebDate(report.createdMs)] : valuesAt(report.fields, field);
  if (value === undefined) return found.length > 0;
  if (typeof value === 'object' && !Array.isArray(value) && ('from' in value || 'to' in value)) return inRange(field, value, found);
  const wanted = asList(value).map((v) => String(v).toLowerCase());
  const has = (w: string) => found.some((f) => String(f).toLowerCase() === w);
  return operator === 'OR' ? wanted.some(has) : wanted.every(has);
}

/** One end of a range filter (epoch ms for dates), or undefined when absent; 400 when it is not a date. */
export function rangeBound(field: string, range: { [key: string]: BracketValue }, side: 'from' | 'to'): number | undefined {
  const raw = range[side];
  if (raw === undefined) return undefined;
  const text = String(raw);
  const parsed = DATE_FIELDS.has(field) ? (ISO_8601.test(text) ? Date.parse(text) : Number.NaN) : Number(text);
  if (Number.isNaN(parsed)) throw new ReliefwebBadRequest(`Invalid range '${side}' value for field '${field}'. It must be an ISO 8601 date.`);
  return parsed;
}

function inRange(field: string, range: { [key: string]: BracketValue }, found: unknown[]): boolean {
  const from = rangeBound(field, range, 'from');
  const to = rangeBound(field, range, 'to');
  // Both ends are inclusive.
  return found.some((f) => {
    const at = DATE_FIELDS.has(field) ? Date.parse(String(f)) : Number(f);
    return (from === undefined || at >= from) && (to === undefined || at <= to);
  });
}

/** Sorts by `field:asc|desc` entries, first one first; ties keep creation order. */
export function sortReports(reports: ReliefwebReport[], sort: BracketValue | undefined): ReliefwebReport[] {
  const keys = asList(sort).map((entry) => {
    const [field = '', direction = 'asc'] = String(entry).split(':');
    if (!SORT_FIELDS.has(field) || (direction !== 'asc' && direction !== 'desc')) throw new ReliefwebBadRequest(`Invalid sort field '${String(entry)}'.`);
    return { field, sign: direction === 'asc' ? 1 : -1 };
  });
  const valueOf = (report: ReliefwebReport, field: string): string | number => {
    // The creation time and the id are known without building the report's fields.
    if (field === 'date.created' || field === 'date.changed') return report.createdMs;
    if (field === 'id') return report.id;
    const found = valuesAt(report.fields, field)[0];
    return DATE_FIELDS.has(field) ? Date.parse(String(found)) : field === 'id' ? Number(found) : String(found);
  };
  return [...reports].sort((a, b) => {
    for (const { field, sign } of keys) {
      const x = valueOf(a, field);
      const y = valueOf(b, field);
      if (x !== y) return (x < y ? -1 : 1) * sign;
    }
    return a.createdMs - b.createdMs || a.id - b.id;
  });
}

/** The fields a list answer carries: the profile's, plus fields[include] (dotted paths). */
export function selectFields(report: ReliefwebReport, profile: string, include: string[]): Record<string, unknown> {
  if (profile === 'full') return report.fields;
  const paths = profile === 'list' ? ['title', 'url', 'date.created', 'date.original', 'primary_country', 'source', 'format'] : ['title'];
  const picked: Record<string, unknown> = {};
  for (const path of [...paths, ...include]) copyPath(report.fields, picked, path.split('.'));
  return picked;
}

function copyPath(from: unknown, to: Record<string, unknown>, path: string[]): void {
  if (!from || typeof from !== 'object') return;
  const [key, ...rest] = path;
  const value = (from as Record<string, unknown>)[key!];
  if (value === undefined) return;
  if (rest.length === 0) {
    to[key!] = value;
  } else if (Array.isArray(value)) {
    const into = Array.isArray(to[key!]) ? (to[key!] as Record<string, unknown>[]) : value.map(() => ({}));
    value.forEach((item, i) => copyPath(item, into[i]!, rest));
    to[key!] = into;
  } else {
    const into = (to[key!] && typeof to[key!] === 'object' ? to[key!] : {}) as Record<string, unknown>;
    copyPath(value, into, rest);
    to[key!] = into;
  }
}
