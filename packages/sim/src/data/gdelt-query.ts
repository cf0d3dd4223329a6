import type { GdeltOutlet } from './gdelt-articles';

// The part of the GDELT DOC 2.0 query language the simulator understands: keywords (ANDed),
// "quoted phrases", (a OR b) groups, -negation and the sourcelang:, sourcecountry:, domain: and
// domainis: operators. Other operators (theme:, tone<, near20: ...) are accepted and match
// everything. A query GDELT refuses gets GDELT's own sentence, which it sends as text with a 200.

type Atom =
  | { kind: 'keyword'; text: string; negate: boolean }
  | { kind: 'phrase'; text: string; negate: boolean }
  | { kind: 'operator'; name: string; value: string; negate: boolean };

/** A parsed query: every clause must match; a clause matches when any of its atoms does. */
export interface GdeltQuery {
  clauses: Atom[][];
}

/** What GDELT answers (as text) for queries it cannot run. */
export const GDELT_QUERY_ERRORS = {
  empty: 'Please specify a search query.',
  tooShort: 'Your search contained a keyword that was too short.',
  orNeedsParentheses: "Queries containing OR'd terms must be surrounded by ().",
  parenthesesOnlyAroundOr: "Parentheses may only be used around OR'd statements.",
} as const;

const TOKEN = /\s*(\(|\)|-?[A-Za-z]+:"[^"]*"|-?"[^"]*"|[^\s()]+)/y;
const LANGUAGE_CODES: Readonly<Record<string, string>> = {
  eng: 'english',
  spa: 'spanish',
  fra: 'french',
  deu: 'german',
  por: 'portuguese',
  jpn: 'japanese',
  ara: 'arabic',
};

export function parseGdeltQuery(text: string): { query: GdeltQuery } | { error: string } {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match; match = TOKEN.exec(text)) tokens.push(match[1]!);
  if (tokens.length === 0) return { error: GDELT_QUERY_ERRORS.empty };
  const clauses: Atom[][] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === 'OR') return { error: GDELT_QUERY_ERRORS.orNeedsParentheses };
    if (token === ')') return { error: GDELT_QUERY_ERRORS.parenthesesOnlyAroundOr };
    if (token !== '(') {
      const atom = atomOf(token);
      if ('error' in atom) return atom;
      clauses.push([atom]);
      continue;
    }
    const close = tokens.indexOf(')', i);
    const inside = close < 0 ? [] : tokens.slice(i + 1, close);
    // A group is a OR b [OR c ...]: atoms at even places, OR between them.
    const wellFormed = inside.length >= 3 && inside.every((t, k) => (k % 2 === 1 ? t === 'OR' : t !== 'OR' && t !== '('));
    if (!wellFormed) return { error: GDELT_QUERY_ERRORS.parenthesesOnlyAroundOr };
    const group: Atom[] = [];
    for (let k = 0; k < inside.length; k += 2) {
      const atom = atomOf(inside[k]!);
      if ('error' in atom) return atom;
      group.push(atom);
    }
    clauses.push(group);
    i = close;
  }
  return { query: { clauses } };
}

function atomOf(token: string): Atom | { error: string } {
  const negate = token.startsWith('-');
  const body = negate ? token.slice(1) : token;
  const operator = /^([A-Za-z]+):"?([^"]*)"?$/.exec(body);
  if (operator) return { kind: 'operator', name: operator[1]!.toLowerCase(), value: operator[2]!.toLowerCase(), negate };
  if (body.startsWith('"')) return { kind: 'phrase', text: body.replace(/"/g, '').toLowerCase(), negate };
  if (body.length < 3) return { error: GDELT_QUERY_ERRORS.tooShort };
  return { kind: 'keyword', text: body.toLowerCase(), negate };
}

/** Whether an article (with its outlet and topic) matches the query. */
export function matchesGdeltQuery(query: GdeltQuery, item: { article: { title: string; domain: string }; outlet: GdeltOutlet; topic: string }): boolean {
  const title = item.article.title.toLowerCase();
  const words = new Set(title.split(/[^a-z0-9]+/).concat(item.topic));
  const holds = (atom: Atom): boolean => {
    let result: boolean;
    if (atom.kind === 'keyword') result = words.has(atom.text);
    else if (atom.kind === 'phrase') result = title.includes(atom.text);
    else result = operatorHolds(atom.name, atom.value, item.outlet);
    return atom.negate ? !result : result;
  };
  return query.clauses.every((clause) => clause.some(holds));
}

function operatorHolds(name: string, value: string, outlet: GdeltOutlet): boolean {
  switch (name) {
    case 'sourcelang':
      return outlet.language.toLowerCase() === (LANGUAGE_CODES[value] ?? value);
    case 'sourcecountry':
      return outlet.fips.toLowerCase() === value || outlet.country.toLowerCase().replace(/\s+/g, '') === value;
    case 'domain':
      return outlet.domain === value || outlet.domain.endsWith(`.${value}`);
    case 'domainis':
      return outlet.domain === value;
    default:
      return true;
  }
}
