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
  description:
    "Replies to a message in a conversation whose history is kept in Postgres (a new one when no id is given). With a session_id, the message is a request to change the session's data: the model turns it into a transformation program, apply_transformation runs it, and the result names the new version.",
  payload: z
    .object({
      message: z.string().min(1).max(10_000),
      conversation_id: z.uuid().optional(),
      /** A dataset session (POST /api/v1/sessions): its chat, its current version. */
      session_id: z.uuid().optional(),
      campaign_id: campaignId,
    })
    .strict()
    .refine((p) => !(p.conversation_id && p.session_id), {
      message: "send conversation_id or session_id, not both (a session's chat is its own conversation)",
      path: ['session_id'],
    }),
  result: z.object({
    conversation_id: z.uuid(),
    reply: z.string(),
    ...callReport,
    /** Session messages only: the version the message made, null when it changed nothing. */
    session_id: z.uuid().optional(),
    node_id: z.uuid().nullable().optional(),
    rows_affected: z.number().int().min(0).optional(),
    transformation: z.string().nullable().optional(),
    /** The apply_transformation task that made node_id. */
    transformation_task_id: z.uuid().nullable().optional(),
  }),
  // A session message waits for its transformation, which may take minutes on a large dataset.
  defaults: { ...llmDefaults, attempts: 3, softTimeoutMs: 15 * 60_000, hardTimeoutMs: 15 * 60_000 + 30_000 },
});
