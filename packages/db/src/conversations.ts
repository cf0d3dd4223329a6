import type { Kysely } from 'kysely';
import type { Database } from './schema';

type Db = Kysely<Database>;

/** Opens a conversation with a chosen id (idempotent), or finds the tenant's existing one. */
export async function openConversation(db: Db, input: { id: string; tenantId: string; campaignId?: string | null; create: boolean }): Promise<boolean> {
  if (input.create) {
    await db
      .insertInto('conversations')
      .values({ id: input.id, tenant_id: input.tenantId, campaign_id: input.campaignId ?? null })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  const found = await db.selectFrom('conversations').select('id').where('id', '=', input.id).where('tenant_id', '=', input.tenantId).executeTakeFirst();
  return found !== undefined;
}

/** The last `limit` messages of a conversation, oldest first. */
export async function recentMessages(
  db: Db,
  conversationId: string,
  limit: number,
): Promise<{ role: 'user' | 'assistant'; content: string; task_id: string | null }[]> {
  const rows = await db
    .selectFrom('chat_messages')
    .select(['role', 'content', 'task_id', 'id'])
    .where('conversation_id', '=', conversationId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map(({ role, content, task_id }) => ({ role, content, task_id }));
}

/** The reply a task already stored, if an earlier attempt of it got that far. */
export async function replyOfTask(db: Db, conversationId: string, taskId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('chat_messages')
    .select('content')
    .where('conversation_id', '=', conversationId)
    .where('task_id', '=', taskId)
    .where('role', '=', 'assistant')
    .executeTakeFirst();
  return row?.content;
}

/** Stores a message and its reply together. */
export async function appendExchange(db: Db, input: { conversationId: string; taskId: string; message: string; reply: string }): Promise<void> {
  await db
    .insertInto('chat_messages')
    .values([
      { conversation_id: input.conversationId, role: 'user', content: input.message, task_id: input.taskId },
      { conversation_id: input.conversationId, role: 'assistant', content: input.reply, task_id: input.taskId },
    ])
    .execute();
}
