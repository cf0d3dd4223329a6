/**
 * What the simulated model answers to the dataset-transformation prompt (a json_schema
 * response format named `dataset_transformation`): a program of Conveyor's transformation
 * language for the requests below, and a reply saying it cannot for anything else. It reads
 * only the last user message, as a real model would be told to; what the rows say is ignored.
 *
 * Known requests (any case, an optional trailing period):
 * - remove rows where <col> is null | empty | missing
 * - remove rows where <col> <op> <value>;  keep rows where <col> <op> <value>
 *   (op: = != > >= < <= contains "starts with")
 * - drop column(s) <a>[, <b>...];  rename <a> to <b>;  move <a>[, <b>] to the front
 * - sort by <col> [ascending | descending]
 * - remove duplicates by <col>[, <col>];  trim <col>;  uppercase | lowercase <col>
 * - fill missing <col> with <value>;  keep the first <n> rows;  cast <col> to <type>
 * - add column <new> as <a> + <b> (also - * /) or as <a> joined with <b>
 */

export const TRANSFORMATION_SCHEMA_NAME = 'dataset_transformation';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export interface TransformationAnswer {
  reply: string;
  program: { steps: Json[] } | null;
}

const COLUMN = String.raw`("[^"]+"|[\w.-]+)`;
const OPS: Record<string, string> = {
  '=': 'eq',
  '==': 'eq',
  is: 'eq',
  '!=': 'ne',
  '>': 'gt',
  '>=': 'gte',
  '<': 'lt',
  '<=': 'lte',
  contains: 'contains',
  'starts with': 'starts_with',
};
const OP_PATTERN = Object.keys(OPS)
  .sort((a, b) => b.length - a.length)
  .map((op) => op.replace(/[=<>!]/g, (c) => `\\${c}`))
  .join('|');

const name = (raw: string) => raw.replace(/^"|"$/g, '');
const names = (raw: string) =>
  raw
    .split(/\s*(?:,|\band\b)\s*/)
    .map(name)
    .filter(Boolean);
/** A literal as a person types it: a number, true/false, or text (quotes optional). */
function literal(raw: string): Json {
  const text = raw.trim();
  if (/^".*"$/.test(text) || /^'.*'$/.test(text)) return text.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  return text;
}

type Rule = [RegExp, (m: RegExpMatchArray) => Json[]];
const at = (pattern: string) => new RegExp(`^${pattern}$`, 'i');

const RULES: Rule[] = [
  [
    at(`(?:remove|drop|delete) (?:the )?rows where ${COLUMN} is (?:null|empty|missing|blank)`),
    (m) => [{ op: 'filter', action: 'remove', where: { column: name(m[1]!), op: 'is_null' } }],
  ],
  [
    at(`(remove|drop|delete|keep|only keep) (?:the |only )?rows where ${COLUMN} (${OP_PATTERN}) (.+)`),
    (m) => [
      {
        op: 'filter',
        action: /keep/i.test(m[1]!) ? 'keep' : 'remove',
        where: { column: name(m[2]!), op: OPS[m[3]!.toLowerCase()]!, value: literal(m[4]!) },
      },
    ],
  ],
  [at(`(?:drop|remove|delete) (?:the )?columns? (.+)`), (m) => [{ op: 'drop_columns', columns: names(m[1]!) }]],
  [at(`rename (?:the )?(?:column )?${COLUMN} to ${COLUMN}`), (m) => [{ op: 'rename_columns', renames: [{ from: name(m[1]!), to: name(m[2]!) }] }]],
  [at(`move (.+) to the front`), (m) => [{ op: 'reorder_columns', columns: names(m[1]!) }]],
  [
    at(`sort (?:the rows )?by ${COLUMN}(?: (asc|ascending|desc|descending))?`),
    (m) => [{ op: 'sort', by: [{ column: name(m[1]!), direction: /^desc/i.test(m[2] ?? '') ? 'desc' : 'asc' }] }],
  ],
  [at(`(?:remove|drop) duplicates? (?:rows )?(?:by|on) (.+)`), (m) => [{ op: 'deduplicate', columns: names(m[1]!) }]],
  [at(`trim (?:spaces (?:in|from) )?(.+)`), (m) => [{ op: 'trim', columns: names(m[1]!) }]],
  [at(`(uppercase|lowercase) (.+)`), (m) => [{ op: 'change_case', columns: names(m[2]!), case: m[1]!.toLowerCase() === 'uppercase' ? 'upper' : 'lower' }]],
  [at(`fill (?:missing|empty) ${COLUMN} with (.+)`), (m) => [{ op: 'fill_missing', column: name(m[1]!), value: literal(m[2]!) }]],
  [at(`keep (?:only )?the first (\\d+) rows`), (m) => [{ op: 'limit', count: Number(m[1]) }]],
  [at(`cast ${COLUMN} to (string|integer|number|boolean)`), (m) => [{ op: 'cast', column: name(m[1]!), to: m[2]!.toLowerCase() }]],
  [
    at(`add (?:a )?column ${COLUMN} as ${COLUMN} ([-+*/]) ${COLUMN}`),
    (m) => [
      {
        op: 'derive',
        column: name(m[1]!),
        function: { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide' }[m[3]!]!,
        args: [{ column: name(m[2]!) }, { column: name(m[4]!) }],
      },
    ],
  ],
  [
    at(`add (?:a )?column ${COLUMN} as ${COLUMN} joined with ${COLUMN}`),
    (m) => [{ op: 'derive', column: name(m[1]!), function: 'concat', args: [{ column: name(m[2]!) }, { value: ' ' }, { column: name(m[3]!) }] as Json[] }],
  ],
];

/** The answer to one request: a program when it is one of the known ones, else a reply saying it cannot. */
export function transformationAnswer(message: string): TransformationAnswer {
  const request = message.trim().replace(/[.!]+$/, '');
  for (const [pattern, steps] of RULES) {
    const match = request.match(pattern);
    if (match) return { reply: `Sure: I will ${request.charAt(0).toLowerCase()}${request.slice(1)}.`, program: { steps: steps(match) } };
  }
  return {
    reply:
      'I cannot turn that into a change to the table. Ask for a filter, a column to drop, rename, sort, fill or derive, duplicates removed, or the first rows kept.',
    program: null,
  };
}
