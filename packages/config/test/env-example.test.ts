import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import * as config from '../src';

// .env.example is where a user learns every variable: each one an environment schema of this
// package reads must have its line there (`NAME=default  # meaning`).
const ROOT = path.resolve(__dirname, '../../..');
const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');

/** The variables of a schema: an object's keys, or those of the object a transform starts from (xApiEnvSchema). */
function variablesOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodPipe) return variablesOf(schema.in as z.ZodType);
  throw new Error(`a schema of another kind: ${schema.constructor.name}`);
}

/** Every exported environment schema (`…EnvSchema`; workerEnvSchema is a function of the worker's default port). */
const SCHEMAS = Object.entries(config).flatMap(([name, value]) => {
  if (!name.endsWith('EnvSchema')) return [];
  const schema = typeof value === 'function' ? (value as (port: number) => z.ZodType)(9401) : value;
  return schema instanceof z.ZodType ? [[name, schema] as const] : [];
});

const missingFrom = (text: string) =>
  SCHEMAS.flatMap(([name, schema]) => variablesOf(schema).flatMap((v) => (new RegExp(`^${v}=`, 'm').test(text) ? [] : [`${name}: ${v}`])));

it('has a line for every variable of every environment schema, the X ones included', () => {
  expect(SCHEMAS.map(([name]) => name)).toEqual(expect.arrayContaining(['workerEnvSchema', 'llmEnvSchema', 'xApiEnvSchema', 'publishingEnvSchema']));
  expect(missingFrom(example)).toEqual([]);
});

it('names the schema and the variable whose line is missing', () => {
  const without = example.replace(/^X_METRICS_STAGES=.*\n/m, '').replace(/^X_DRY_RUN=.*\n/m, '');
  expect(missingFrom(without)).toEqual(['xApiEnvSchema: X_DRY_RUN', 'publishingEnvSchema: X_METRICS_STAGES']);
});
