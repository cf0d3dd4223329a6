import type { ConsoleSessionView } from '@conveyor/contracts';
import { type ConsoleSession, type Database, createConsoleSession, deleteConsoleSession, findConsoleSession, renewConsoleSession } from '@conveyor/db';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';

/** The cookie that carries a console session's id. */
const SESSION_COOKIE = 'conveyor_session';
/** What a session id looks like (cvs_ and 32 random bytes, base64url): anything else is not looked up. */
const SESSION_ID = /^cvs_[A-Za-z0-9_-]{43}$/;

export interface ConsoleSessionSettings {
  /** Seconds a session lives without use (CONSOLE_SESSION_TTL_SECONDS). */
  ttlSeconds: number;
  /** Seconds a session lives at most (CONSOLE_SESSION_MAX_SECONDS). */
  maxLifetimeSeconds: number;
  /** The cookie's Secure attribute: always, never, or when the request came over HTTPS. */
  secure: 'auto' | 'true' | 'false';
}

/** The value of the named cookie in the request's Cookie header (the first, if sent twice). */
function cookieOf(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at !== -1 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * Console sessions as the API sees them: the cookie (read, set, cleared), and the sessions in
 * Postgres (db/console-sessions.ts). A session slides: once less than half its time is left,
 * a request moves its end a whole ttl ahead again (one write per half ttl, not per request) and
 * sends the cookie again with the new Max-Age, never past the session's absolute end.
 */
export class ConsoleSessions {
  constructor(
    private readonly db: Kysely<Database>,
    readonly settings: ConsoleSessionSettings,
  ) {}

  /** The session id the request's cookie carries, or undefined without the cookie. */
  idOf(req: Request): string | undefined {
    return cookieOf(req, SESSION_COOKIE);
  }

  /** A new session for the key, its cookie set on res; undefined when the key is (now) revoked. */
  async open(req: Request, res: Response, apiKeyId: string): Promise<ConsoleSession | undefined> {
    const opened = await createConsoleSession(this.db, {
      apiKeyId,
      ttlSeconds: this.settings.ttlSeconds,
      maxLifetimeSeconds: this.settings.maxLifetimeSeconds,
    });
    if (!opened) return undefined;
    this.setCookie(req, res, opened.sessionId, opened.session);
    return opened.session;
  }

  /** The live session of that id, renewed when due (and its cookie sent again); undefined when unknown, expired or its key revoked. */
  async find(req: Request, res: Response, sessionId: string): Promise<ConsoleSession | undefined> {
    if (!SESSION_ID.test(sessionId)) return undefined;
    const session = await findConsoleSession(this.db, sessionId);
    if (!session) return undefined;
    const leftMs = session.expiresAt.getTime() - Date.now();
    const canGrow = session.expiresAt.getTime() < session.absoluteExpiresAt.getTime();
    if (!canGrow || leftMs >= (this.settings.ttlSeconds * 1000) / 2) return session;
    const expiresAt = await renewConsoleSession(this.db, sessionId, this.settings.ttlSeconds);
    if (!expiresAt) return undefined;
    const renewed = { ...session, expiresAt };
    this.setCookie(req, res, sessionId, renewed);
    return renewed;
  }

  /** Deletes the session (whatever its state) and clears the cookie. */
  async close(req: Request, res: Response, sessionId: string): Promise<void> {
    if (SESSION_ID.test(sessionId)) await deleteConsoleSession(this.db, sessionId);
    this.clearCookie(req, res);
  }

  /** Tells the browser to drop the cookie. */
  clearCookie(req: Request, res: Response): void {
    res.append('Set-Cookie', this.cookie(req, '', 0));
  }

  /** Sends the cookie for a session that was just opened or renewed: it lives a ttl, or up to the session's absolute end if that comes first. */
  private setCookie(req: Request, res: Response, sessionId: string, session: ConsoleSession): void {
    const untilEnd = Math.ceil((session.absoluteExpiresAt.getTime() - Date.now()) / 1000);
    const maxAge = Math.max(1, Math.min(this.settings.ttlSeconds, untilEnd));
    res.append('Set-Cookie', this.cookie(req, sessionId, maxAge));
    // A shared cache must never keep an answer that sets a session.
    res.set('Cache-Control', 'no-store');
  }

  private cookie(req: Request, value: string, maxAgeSeconds: number): string {
    const secure = this.settings.secure === 'true' || (this.settings.secure === 'auto' && req.secure);
    return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }
}

/** The body of POST and GET /api/v1/auth/session. */
export function consoleSessionView(session: ConsoleSession): ConsoleSessionView {
  const { principal } = session;
  return {
    principal: {
      kind: principal.isAdmin ? 'admin' : 'tenant',
      tenant_id: principal.tenantId,
      tenant_name: session.tenantName,
      plan: principal.plan,
    },
    expires_at: session.expiresAt.toISOString(),
  };
}
