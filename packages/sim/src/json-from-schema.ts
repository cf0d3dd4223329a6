/** A JSON Schema, as far as the simulator reads it. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

/**
 * A value that satisfies the schema, chosen deterministically from a seed, so the same
 * request always gets the same answer. Covers what zod's toJSONSchema emits for our tasks.
 */
export function valueFromSchema(schema: JsonSchema, seed: number, path = 'value'): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[seed % schema.enum.length];
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.length) return valueFromSchema(variants[0]!, seed, path);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(schema.properties ?? {})) out[key] = valueFromSchema(inner, seed + key.length, key);
      return out;
    }
    case 'array': {
      const count = Math.max(schema.minItems ?? 1, Math.min(schema.maxItems ?? 3, 2));
      return Array.from({ length: count }, (_, i) => valueFromSchema(schema.items ?? { type: 'string' }, seed + i, `${path}_${i + 1}`));
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? 0;
      const max = schema.maximum ?? min + 100;
      const value = min + ((seed % 1000) / 1000) * (max - min);
      return type === 'integer' ? Math.round(value) : Math.round(value * 100) / 100;
    }
    case 'boolean':
      return seed % 2 === 0;
    case 'string': {
      let text = `simulated ${path}`;
      if (schema.minLength && text.length < schema.minLength) text = text.padEnd(schema.minLength, '.');
      if (schema.maxLength && text.length > schema.maxLength) text = text.slice(0, schema.maxLength);
      return text;
    }
    default:
      return null;
  }
}
