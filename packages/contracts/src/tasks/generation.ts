import { z } from 'zod';
import { defineTask } from '../define-task';

const campaignId = z.string().min(1).max(100).optional();
const callReport = { model_used: z.string(), cost_usd: z.number().min(0) };
const llmDefaults = { attempts: 4, softTimeoutMs: 180_000, hardTimeoutMs: 210_000, backoff: { baseMs: 2000, maxMs: 60_000 } };

export const generateDraft = defineTask({
  name: 'generate_draft',
  queue: 'generation',
  description: 'Writes a post draft from a brief, in a tone, for a platform.',
  payload: z
    .object({
      brief: z.string().min(1).max(10_000),
      tone: z.string().min(1).max(100).default('clear and friendly'),
      platform: z.enum(['x', 'linkedin', 'blog']).default('x'),
      campaign_id: campaignId,
    })
    .strict(),
  result: z.object({ draft: z.string(), ...callReport }),
  defaults: llmDefaults,
});

export const processChatMessage = defineTask({
  name: 'process_chat_message',
  queue: 'generation',
  description: 'Replies to a message in a conversation whose history is kept in Postgres (a new one when no id is given).',
  payload: z
    .object({
      message: z.string().min(1).max(10_000),
      conversation_id: z.uuid().optional(),
      campaign_id: campaignId,
    })
    .strict(),
  result: z.object({ conversation_id: z.uuid(), reply: z.string(), ...callReport }),
  defaults: { ...llmDefaults, attempts: 3 },
});
