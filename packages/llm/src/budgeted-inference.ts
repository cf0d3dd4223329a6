import { PermanentError } from '@conveyor/contracts';
import { ActionLimitReachedError, type CostTracker } from '@conveyor/cost-tracker';
import type { InferenceRequest, InferenceResult, InferenceRouter } from '@conveyor/inference';

export interface BudgetedCall<T> extends InferenceRequest<T> {
  tenantId: string;
  taskId?: string;
  /** The task's attempt making the call (its cost is shown under that attempt). */
  attempt?: number;
  /** What usage_tracking files the call under (the task name). */
  actionType: string;
  campaignId?: string | null;
  /** Milliseconds after which a reservation of a crashed worker is freed. */
  reservationTtlMs?: number;
}

/**
 * Every LLM call of a task, with its budget: reserve the worst case first (the prompt
 * estimate plus max_tokens at the dearest model of the chain, twice when a repair round may
 * follow), call, settle the actual cost, release on failure. A reservation that does not fit
 * the cap, or a call past its plan's per-action limit (PLAN_ACTION_LIMITS, counted by the same
 * reservation under the action `actionType`), fails the task at once with PLAN_LIMIT_REACHED.
 */
export class BudgetedInference {
  constructor(
    private readonly router: InferenceRouter,
    private readonly tracker: CostTracker,
    private readonly reservationTtlMs = 15 * 60_000,
  ) {}

  async complete<T>(call: BudgetedCall<T>): Promise<InferenceResult<T>> {
    const worstCase = this.router.worstCaseCostUsd(call.task, call.messages, call.schema ? 2 : 1);
    const reservation = await this.tracker
      .reserve(call.tenantId, worstCase, { taskId: call.taskId, ttlMs: call.reservationTtlMs ?? this.reservationTtlMs, action: call.actionType })
      .catch((error: unknown) => {
        if (error instanceof ActionLimitReachedError) throw new PermanentError(error.message, 'PLAN_LIMIT_REACHED', { cause: error });
        throw error;
      });
    if (!reservation) {
      throw new PermanentError(`the plan's spending cap leaves no room for this call (up to $${worstCase.toFixed(4)})`, 'PLAN_LIMIT_REACHED');
    }
    let result: InferenceResult<T>;
    try {
      result = await this.router.complete(call);
    } catch (error) {
      // A failed repair still spent money: settle what it cost; anything else costs nothing.
      const spent = (error as { spent?: Omit<InferenceResult<T>, 'data'> }).spent;
      if (spent) await this.tracker.settle(reservation, this.usageOf(call, spent));
      else await this.tracker.release(reservation);
      throw error;
    }
    await this.tracker.settle(reservation, this.usageOf(call, result));
    return result;
  }

  private usageOf<T>(call: BudgetedCall<T>, result: Omit<InferenceResult<T>, 'data'>) {
    return {
      taskId: call.taskId,
      attempt: call.attempt,
      actionType: call.actionType,
      campaignId: call.campaignId,
      modelUsed: result.model_used,
      promptTokens: result.prompt_tokens,
      completionTokens: result.completion_tokens,
      costUsd: result.cost_usd,
      generationId: result.generation_id,
    };
  }
}

/**
 * What a handler's log line (ctx.log) says of a call: the model that answered, its tokens and
 * cost. The token counts sit under `usage` as `prompt`/`completion`: a key with "token" in it
 * would be redacted as a secret.
 */
export function usageFields(result: Pick<InferenceResult<unknown>, 'model_used' | 'prompt_tokens' | 'completion_tokens' | 'cost_usd'>) {
  return { model: result.model_used, usage: { prompt: result.prompt_tokens, completion: result.completion_tokens }, cost_usd: result.cost_usd };
}
