import type { Kysely } from 'kysely';
import { encodeSequenceCursor } from '../cursor';
import type { Database } from '../schema';

type Db = Kysely<Database>;

/** One message of a session's chat. */
export interface SessionMessage {
  role: 'user' | 'assistant';
  content: string;
  task_id: string | null;
  created_at: Date;
}

/**
 * A page of a session's chat (the messages of its conversation), oldest first: each message
 * after the one whose id `after` names (decodeSequenceCursor), with the cursor of the next
 * page. Empty for a session the tenant does not have.
 */
export async function listSessionMessages(
  db: Db,
  tenantId: string,
  sessionId: string,
  query: { after?: string; limit: number },
): Promise<{ rows: SessionMessage[]; next?: string }> {
  let q = db
    .selectFrom('chat_messages')
    .innerJoin('conversations', 'conversations.id', 'chat_messages.conversation_id')
    .select(['chat_messages.id', 'chat_messages.role', 'chat_messages.content', 'chat_messages.task_id', 'chat_messages.created_at'])
    .where('chat_messages.conversation_id', '=', sessionId)
    .where('conversations.tenant_id', '=', tenantId);
  if (query.after !== undefined) q = q.where('chat_messages.id', '>', query.after);
  const rows = await q
    .orderBy('chat_messages.id')
    .limit(query.limit + 1)
    .execute();
  const last = rows[query.limit - 1];
  return {
    rows: rows.slice(0, query.limit).map(({ id: _id, ...message }) => message),
    next: rows.length > query.limit && last ? encodeSequenceCursor(last.id) : undefined,
  };
}
