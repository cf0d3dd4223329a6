import { PermanentError } from '@conveyor/contracts';
import { type BudgetedInference, usageFields } from '@conveyor/llm';
import { type Database, appendExchange, openConversation, recentMessages, replyOfTask } from '@conveyor/db';
import type { ChatMessage } from '@conveyor/inference';
import type { FollowUpTasks, QueueHandlers } from '@conveyor/queue';
import type { Kysely } from 'kysely';
import { CHAT_SYSTEM_PROMPT, draftPrompt } from './prompts';
import { processSessionMessage } from './session-message';

const HISTORY = 20;

export interface GenerationDeps {
  llm: BudgetedInference;
  db: Kysely<Database>;
  /** Submits a session message's apply_transformation. */
  followUps: FollowUpTasks;
}

/** The generation queue's handlers. */
export function generationHandlers(deps: GenerationDeps): QueueHandlers<'generation'> {
  const { llm, db } = deps;
  return {
    generate_draft: async (p, ctx) => {
      const result = await llm.complete({
        task: 'generate_draft',
        actionType: 'generate_draft',
        tenantId: ctx.tenantId,
        taskId: ctx.taskId,
        attempt: ctx.attempt,
        campaignId: p.campaign_id,
        messages: draftPrompt(p.brief, p.tone, p.platform),
        signal: ctx.signal,
        logger: ctx.logger,
      });
      ctx.log('info', `draft written by ${result.model_used}`, usageFields(result));
      return { draft: result.content.trim(), model_used: result.model_used, cost_usd: result.cost_usd };
    },

    process_chat_message: async (p, ctx) => {
      if (p.session_id) return processSessionMessage(deps, { ...p, session_id: p.session_id }, ctx);
      // A new conversation takes the task's id, so a retried attempt reopens the same one.
      const conversationId = p.conversation_id ?? ctx.taskId;
      const exists = await openConversation(db, { id: conversationId, tenantId: ctx.tenantId, campaignId: p.campaign_id, create: !p.conversation_id });
      if (!exists) throw new PermanentError(`no conversation ${conversationId} for this tenant`, 'CONVERSATION_NOT_FOUND');
      // An earlier attempt that stored its reply but died before finishing must not pay twice.
      const stored = await replyOfTask(db, conversationId, ctx.taskId);
      if (stored !== undefined) ctx.log('info', 'an earlier attempt stored the reply: no model call');
      if (stored !== undefined) return { conversation_id: conversationId, reply: stored, model_used: 'stored', cost_usd: 0 };

      const history = (await recentMessages(db, conversationId, HISTORY)).map((m): ChatMessage => ({ role: m.role, content: m.content }));
      const result = await llm.complete({
        task: 'process_chat_message',
        actionType: 'process_chat_message',
        tenantId: ctx.tenantId,
        taskId: ctx.taskId,
        attempt: ctx.attempt,
        campaignId: p.campaign_id,
        messages: [{ role: 'system', content: CHAT_SYSTEM_PROMPT }, ...history, { role: 'user', content: p.message }],
        signal: ctx.signal,
        logger: ctx.logger,
      });
      const reply = result.content.trim();
      ctx.log('info', `reply written by ${result.model_used}`, usageFields(result));
      await appendExchange(db, { conversationId, taskId: ctx.taskId, message: p.message, reply });
      return { conversation_id: conversationId, reply, model_used: result.model_used, cost_usd: result.cost_usd };
    },
  };
}
