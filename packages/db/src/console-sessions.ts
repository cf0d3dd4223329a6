import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type Principal, hashApiKey } from './api-keys';
import type { Database } from './schema';

type Db = Kysely<Database>;

/** What every console session id starts with, so logs (redacted) and people can tell it from a key (cvk_) or task token (cvt_). */
export const CONSOLE_SESSION_PREFIX = 'cvs_';

/** A live console session: who it speaks for, and until when. */
export interface ConsoleSession {
  principal: Principal;
  /** The tenant's name, null for an admin key. */
  tenantName: string | null;
  expiresAt: Date;
  /** The sliding expiry never moves past this. */
  absoluteExpiresAt: Date;
}

/**
 * A new session for the API key, expiring after ttlSeconds (sliding, see renewConsoleSession)
 * and at most maxLifetimeSeconds from now, both by Postgres's clock. 32 random bytes, stored
 * as their sha256 only. Undefined when the key is unknown or revoked (also a moment ago).
 */
export async function createConsoleSession(
  db: Db,
  input: { apiKeyId: string; ttlSeconds: number; maxLifetimeSeconds: number },
): Promise<{ sessionId: string; session: ConsoleSession } | undefined> {
  const sessionId = CONSOLE_SESSION_PREFIX + randomBytes(32).toString('base64url');
  const lifetime = Math.max(input.ttlSeconds, input.maxLifetimeSeconds);
  // Insert from the key's row, so a key revoked since the caller looked it up gives no row.
  const row = await db
    .insertInto('console_sessions')
    .columns(['session_hash', 'api_key_id', 'expires_at', 'absolute_expires_at'])
    .expression((eb) =>
      eb
        .selectFrom('api_keys')
        .select([
          eb.val(hashApiKey(sessionId)).as('session_hash'),
          'id',
          sql<Date>`now() + ${input.ttlSeconds} * interval '1 second'`.as('expires_at'),
          sql<Date>`now() + ${lifetime} * interval '1 second'`.as('absolute_expires_at'),
        ])
        .where('id', '=', input.apiKeyId)
        .where('revoked_at', 'is', null),
    )
    .returning('session_hash')
    .executeTakeFirst();
  if (!row) return undefined;
  const session = await findConsoleSession(db, sessionId);
  return session ? { sessionId, session } : undefined;
}

/** The session of a presented id, or undefined when it is unknown, expired, or its key was revoked. */
export async function findConsoleSession(db: Db, sessionId: string): Promise<ConsoleSession | undefined> {
  const row = await db
    .selectFrom('console_sessions as s')
    .innerJoin('api_keys as k', 'k.id', 's.api_key_id')
    .leftJoin('tenants as t', 't.id', 'k.tenant_id')
    .select(['k.id', 'k.tenant_id', 'k.is_admin', 't.plan', 't.name', 's.expires_at', 's.absolute_expires_at'])
    .where('s.session_hash', '=', hashApiKey(sessionId))
    .where('s.expires_at', '>', sql<Date>`now()`)
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    principal: { keyId: row.id, tenantId: row.tenant_id, plan: row.plan, isAdmin: row.is_admin },
    tenantName: row.name,
    expiresAt: row.expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
  };
}

/** Moves a live session's expiry to ttlSeconds from now (never past its absolute expiry); the new expiry, or undefined when it is gone. */
export async function renewConsoleSession(db: Db, sessionId: string, ttlSeconds: number): Promise<Date | undefined> {
  const row = await db
    .updateTable('console_sessions')
    .set({ expires_at: sql<Date>`least(now() + ${ttlSeconds} * interval '1 second', absolute_expires_at)` })
    .where('session_hash', '=', hashApiKey(sessionId))
    .where('expires_at', '>', sql<Date>`now()`)
    .returning('expires_at')
    .executeTakeFirst();
  return row?.expires_at;
}

/** Deletes the session (sign-out); true when there was one. */
export async function deleteConsoleSession(db: Db, sessionId: string): Promise<boolean> {
  const result = await db.deleteFrom('console_sessions').where('session_hash', '=', hashApiKey(sessionId)).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Deletes up to `limit` expired sessions; the retention job repeats it until a batch comes back short. */
export async function deleteExpiredConsoleSessions(db: Db, limit: number): Promise<number> {
  const result = await sql`
    delete from console_sessions where session_hash in (
      select session_hash from console_sessions where expires_at < now() limit ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
