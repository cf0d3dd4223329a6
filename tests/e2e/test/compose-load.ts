import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Scalar, YAMLMap, isNode, parseDocument, visit } from 'yaml';

/** What `!reset` leaves in a parsed file: the key is removed from the merged result. */
const RESET = '\u0000compose-reset';
/** What `!override x` leaves: a map whose one key holds x, which replaces the base's value whole. */
const OVERRIDE = '\u0000compose-override';
/** Attributes compose replaces instead of merging (shell commands and health-check tests). */
const REPLACED = new Set(['command', 'entrypoint', 'test']);

type Value = unknown;
const isMap = (v: Value): v is Record<string, Value> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One compose file as compose reads it: YAML merge keys, and `!reset` / `!override` kept as markers. */
function readOne(file: string): Record<string, Value> {
  const doc = parseDocument(readFileSync(file, 'utf8'), { merge: true });
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  visit(doc, (_key, node) => {
    if (!isNode(node) || !node.tag) return undefined;
    if (node.tag === '!reset') return new Scalar(RESET);
    if (node.tag === '!override') {
      node.tag = undefined;
      const wrapper = new YAMLMap();
      wrapper.set(OVERRIDE, node);
      return wrapper;
    }
    return undefined;
  });
  return doc.toJS({ maxAliasCount: 1000 }) as Record<string, Value>;
}

/** Compose's override rule: mappings merge, lists append, commands and markers replace. */
function merge(base: Value, over: Value, key = ''): Value {
  if (isMap(over) && OVERRIDE in over) return over[OVERRIDE];
  if (REPLACED.has(key)) return over;
  if (Array.isArray(base) && Array.isArray(over)) return [...base, ...over];
  if (!isMap(base) || !isMap(over)) return over;
  const out: Record<string, Value> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === RESET) delete out[k];
    else out[k] = k in base ? merge(base[k], v, k) : strip(v);
  }
  return out;
}

/** A value that merged into nothing: its markers mean what they would over an empty base. */
function strip(value: Value): Value {
  if (isMap(value) && OVERRIDE in value) return value[OVERRIDE];
  if (isMap(value)) return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== RESET));
  return value;
}

/** `docker compose -f a -f b …`: each file read on its own, then merged in order. */
export function loadCompose(root: string, ...files: string[]): Record<string, Value> {
  return files.map((f) => readOne(path.join(root, f))).reduce((merged, next) => merge(merged, next) as Record<string, Value>);
}
