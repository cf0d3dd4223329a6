import { z } from 'zod';
import { programSchema } from '../datasets/program';
import { defineTask } from '../define-task';

const campaignId = z.string().min(1).max(100).optional();
const postText = z.string().min(1).max(20_000);
/** What every LLM task reports of its call, besides its answer. */
const callReport = { model_used: z.string(), cost_usd: z.number().min(0) };

export const ARCHETYPES = ['story', 'lesson', 'list', 'opinion', 'question', 'announcement', 'how_to', 'case_study'] as const;

const llmDefaults = { attempts: 4, softTimeoutMs: 120_000, hardTimeoutMs: 150_000, backoff: { baseMs: 2000, maxMs: 60_000 } };

export const classifyArchetype = defineTask({
  name: 'classify_archetype',
  queue: 'analysis',
  description: 'Classifies a post into one of the content archetypes.',
  payload: z.object({ text: postText, campaign_id: campaignId }).strict(),
  result: z.object({ archetype: z.enum(ARCHETYPES), confidence: z.number().min(0).max(1), ...callReport }),
  defaults: llmDefaults,
});

export const scorePost = defineTask({
  name: 'score_post',
  queue: 'analysis',
  description: 'Scores a post from 0 to 100 against criteria (hook, clarity, value by default), with reasons.',
  payload: z
    .object({
      text: postText,
      criteria: z.array(z.string().min(1).max(200)).min(1).max(10).default(['hook', 'clarity', 'value']),
      campaign_id: campaignId,
    })
    .strict(),
  result: z.object({ score: z.number().min(0).max(100), reasons: z.array(z.string()), ...callReport }),
  defaults: llmDefaults,
});

export const extractPatterns = defineTask({
  name: 'extract_patterns',
  queue: 'analysis',
  description: 'Finds the recurring patterns (structure, hooks, themes) across a set of posts.',
  payload: z.object({ posts: z.array(postText).min(2).max(50), campaign_id: campaignId }).strict(),
  result: z.object({
    patterns: z.array(z.object({ name: z.string(), description: z.string(), example: z.string() })),
    ...callReport,
  }),
  defaults: llmDefaults,
});

export const applyTransformation = defineTask({
  name: 'apply_transformation',
  queue: 'analysis',
  description:
    "Applies a transformation program to a version of a session's dataset (by default its head) in chunks, stores the result as a new version and moves the session's head to it. A retry never makes a second version.",
  payload: z
    .object({
      session_id: z.uuid(),
      program: programSchema,
      /** The version to transform; absent: the session's head when the task starts. */
      base_node_id: z.uuid().optional(),
    })
    .strict(),
  result: z.object({
    node_id: z.uuid(),
    rows_affected: z.number().int().min(0),
    /** What the program did, as a sentence written from the program and its counts (never by a model). */
    transformation: z.string(),
    row_count: z.number().int().min(0),
  }),
  defaults: { attempts: 3, softTimeoutMs: 15 * 60_000, hardTimeoutMs: 15 * 60_000 + 30_000, backoff: { baseMs: 2000, maxMs: 60_000 } },
});
