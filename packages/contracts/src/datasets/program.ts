import { z } from 'zod';
import { columnNameSchema, columnTypeSchema } from './columns';

/**
 * The transformation language: the only thing a model's answer can make Conveyor do to a
 * dataset. A program is data, checked against this schema and then against the dataset's
 * columns; it is interpreted step by step, never compiled, evaluated or turned into SQL.
 */

const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()]);
export type Scalar = z.infer<typeof scalar>;

/** How deep and/or/not may nest: enough for any sentence, too shallow to hurt. */
export const MAX_CONDITION_DEPTH = 8;
export const MAX_STEPS = 20;

export const COMPARISON_OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte'] as const;
export const TEXT_OPS = ['contains', 'starts_with', 'ends_with'] as const;

export type Condition =
  | { column: string; op: (typeof COMPARISON_OPS)[number]; value: Scalar }
  | { column: string; op: 'is_null' | 'is_not_null' }
  | { column: string; op: 'in' | 'not_in'; values: Scalar[] }
  | { column: string; op: (typeof TEXT_OPS)[number]; value: string; case_sensitive?: boolean }
  | { and: Condition[] }
  | { or: Condition[] }
  | { not: Condition };

const comparison = z.object({ column: columnNameSchema, op: z.enum(COMPARISON_OPS), value: scalar }).strict();
const nullCheck = z.object({ column: columnNameSchema, op: z.enum(['is_null', 'is_not_null']) }).strict();
const membership = z.object({ column: columnNameSchema, op: z.enum(['in', 'not_in']), values: z.array(scalar).min(1).max(1000) }).strict();
const text = z.object({ column: columnNameSchema, op: z.enum(TEXT_OPS), value: z.string().min(1).max(1000), case_sensitive: z.boolean().optional() }).strict();

// Named (id Condition) so that a generator of documents (zod-to-openapi, the OpenAPI document
// of the API, which shows programs) refers to it by name where it nests, instead of unfolding it
// for ever; zod's own toJSONSchema puts it in $defs either way.
export const conditionSchema: z.ZodType<Condition> = z
  .lazy(() =>
    z.union([
      comparison,
      nullCheck,
      membership,
      text,
      z.object({ and: z.array(conditionSchema).min(1).max(20) }).strict(),
      z.object({ or: z.array(conditionSchema).min(1).max(20) }).strict(),
      z.object({ not: conditionSchema }).strict(),
    ]),
  )
  .meta({ id: 'Condition' });

/** The functions a derived column may use, with the number of arguments each takes. */
export const DERIVE_FUNCTIONS = {
  concat: { min: 2, max: 10 },
  upper: { min: 1, max: 1 },
  lower: { min: 1, max: 1 },
  trim: { min: 1, max: 1 },
  length: { min: 1, max: 1 },
  substring: { min: 2, max: 3 },
  add: { min: 2, max: 2 },
  subtract: { min: 2, max: 2 },
  multiply: { min: 2, max: 2 },
  divide: { min: 2, max: 2 },
  round: { min: 1, max: 2 },
  abs: { min: 1, max: 1 },
  coalesce: { min: 2, max: 10 },
  to_string: { min: 1, max: 1 },
  to_number: { min: 1, max: 1 },
} as const;
export type DeriveFunction = keyof typeof DERIVE_FUNCTIONS;
const deriveFunctionNames = Object.keys(DERIVE_FUNCTIONS) as [DeriveFunction, ...DeriveFunction[]];

/** An argument of a derived column's function: another column's value, or a constant. */
const argument = z.union([z.object({ column: columnNameSchema }).strict(), z.object({ value: scalar }).strict()]);
export type DeriveArgument = z.infer<typeof argument>;

const columns = z.array(columnNameSchema).min(1).max(200);

export const stepSchema = z.discriminatedUnion('op', [
  /** Keeps or removes the rows that match. */
  z.object({ op: z.literal('filter'), action: z.enum(['keep', 'remove']), where: conditionSchema }).strict(),
  z.object({ op: z.literal('drop_columns'), columns }).strict(),
  z
    .object({
      op: z.literal('rename_columns'),
      renames: z
        .array(z.object({ from: columnNameSchema, to: columnNameSchema }).strict())
        .min(1)
        .max(200),
    })
    .strict(),
  /** Puts these columns first, in this order; the others follow as they were. */
  z.object({ op: z.literal('reorder_columns'), columns }).strict(),
  /** Values that cannot be read as the new type become null (and are counted). */
  z.object({ op: z.literal('cast'), column: columnNameSchema, to: columnTypeSchema }).strict(),
  z.object({ op: z.literal('fill_missing'), column: columnNameSchema, value: scalar }).strict(),
  z.object({ op: z.literal('trim'), columns }).strict(),
  z.object({ op: z.literal('change_case'), columns, case: z.enum(['upper', 'lower', 'title']) }).strict(),
  /** Keeps the first row of each group of rows equal in these columns. */
  z.object({ op: z.literal('deduplicate'), columns }).strict(),
  /** Stable; missing values sort last. */
  z
    .object({
      op: z.literal('sort'),
      by: z
        .array(z.object({ column: columnNameSchema, direction: z.enum(['asc', 'desc']).default('asc') }).strict())
        .min(1)
        .max(5),
    })
    .strict(),
  z.object({ op: z.literal('limit'), count: z.number().int().min(0).max(100_000_000) }).strict(),
  /** A new column (or a replaced one) computed row by row by one of DERIVE_FUNCTIONS. */
  z
    .object({ op: z.literal('derive'), column: columnNameSchema, function: z.enum(deriveFunctionNames), args: z.array(argument).min(1).max(10) })
    .strict()
    .superRefine((step, ctx) => {
      const arity = DERIVE_FUNCTIONS[step.function];
      if (step.args.length < arity.min || step.args.length > arity.max) {
        const wanted = arity.min === arity.max ? `${arity.min}` : `${arity.min} to ${arity.max}`;
        ctx.addIssue({ code: 'custom', path: ['args'], message: `${step.function} takes ${wanted} argument(s), not ${step.args.length}` });
      }
    }),
]);
export type Step = z.infer<typeof stepSchema>;
export type StepOp = Step['op'];

/** How deep a value nests, counted without recursion (so a hostile answer cannot exhaust the stack). */
function nesting(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    if (item && typeof item === 'object') for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

// A condition nests two levels per and/or (object, array), one per not; steps add three.
const MAX_PROGRAM_NESTING = 3 + 2 * MAX_CONDITION_DEPTH + 2;

/** A transformation: its steps run in order, each on the output of the one before. */
export const programSchema = z.preprocess(
  (value, ctx) => {
    if (nesting(value, MAX_PROGRAM_NESTING) > MAX_PROGRAM_NESTING) {
      ctx.addIssue({ code: 'custom', message: `a program nests its conditions at most ${MAX_CONDITION_DEPTH} levels deep`, input: value });
      return z.NEVER;
    }
    return value;
  },
  z.object({ steps: z.array(stepSchema).min(1).max(MAX_STEPS) }).strict(),
);
export type Program = z.infer<typeof programSchema>;

/** What the model answers to a chat message about a dataset: a reply, and a program or null. */
export const transformationAnswerSchema = z
  .object({
    /** One or two sentences for the user; when program is null, why the request cannot be done. */
    reply: z.string().min(1).max(2000),
    program: z
      .object({ steps: z.array(stepSchema).min(1).max(MAX_STEPS) })
      .strict()
      .nullable(),
  })
  .strict();
export type TransformationAnswer = z.infer<typeof transformationAnswerSchema>;
