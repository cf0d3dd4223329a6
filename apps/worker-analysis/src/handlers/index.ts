import { ARCHETYPES } from '@conveyor/contracts';
import type { Database } from '@conveyor/db';
import { type BudgetedInference, usageFields } from '@conveyor/llm';
import type { QueueHandlers, TaskContext } from '@conveyor/queue';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { createDatasetMetrics } from '@conveyor/observability';
import { z } from 'zod';
import { applyTransformation } from './apply-transformation';
import { classifyPrompt, patternsPrompt, scorePrompt } from './prompts';

/** The answer each task asks the model for (the task's result adds model and cost). */
const answers = {
  classify_archetype: z.object({ archetype: z.enum(ARCHETYPES), confidence: z.number().min(0).max(1) }),
  score_post: z.object({ score: z.number().min(0).max(100), reasons: z.array(z.string()) }),
  extract_patterns: z.object({ patterns: z.array(z.object({ name: z.string(), description: z.string(), example: z.string() })) }),
};

/**
 * The analysis queue's handlers: the post analyses, each one budgeted LLM call with a
 * structured answer, and apply_transformation, which runs a dataset program (no model).
 */
export function analysisHandlers(llm: BudgetedInference, db: Kysely<Database>, registry: Registry = new Registry()): QueueHandlers<'analysis'> {
  const datasets = { db, metrics: createDatasetMetrics(registry) };
  const ask = async <T>(task: keyof typeof answers, ctx: TaskContext, campaignId: string | undefined, messages: ReturnType<typeof classifyPrompt>) => {
    const result = await llm.complete({
      task,
      actionType: task,
      tenantId: ctx.tenantId,
      taskId: ctx.taskId,
      attempt: ctx.attempt,
      campaignId,
      messages,
      schema: answers[task] as unknown as z.ZodType<T>,
      signal: ctx.signal,
      logger: ctx.logger,
    });
    ctx.log('info', `${result.model_used} answered`, usageFields(result));
    return { ...(result.data as T), model_used: result.model_used, cost_usd: result.cost_usd };
  };
  return {
    classify_archetype: (p, ctx) => ask<z.infer<typeof answers.classify_archetype>>('classify_archetype', ctx, p.campaign_id, classifyPrompt(p.text)),
    score_post: (p, ctx) => ask<z.infer<typeof answers.score_post>>('score_post', ctx, p.campaign_id, scorePrompt(p.text, p.criteria)),
    extract_patterns: (p, ctx) => ask<z.infer<typeof answers.extract_patterns>>('extract_patterns', ctx, p.campaign_id, patternsPrompt(p.posts)),
    apply_transformation: (p, ctx) => applyTransformation(datasets, p, ctx),
  };
}
