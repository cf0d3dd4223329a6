import type { Transport } from './http';
import type { ConsoleSession } from './types';

/**
 * conveyor.auth: the console's sign-in. In a browser (`session: true`) the server keeps the
 * session in an HttpOnly cookie, which the client never sees; it only sends it along.
 */
export class Auth {
  constructor(private readonly http: Transport) {}

  /** Signs in with an API key: the server answers who the session speaks for and sets its cookie. */
  async signIn(apiKey: string): Promise<ConsoleSession> {
    if (!apiKey) throw new TypeError('auth.signIn needs an API key');
    // Another session on a retry is harmless: the unused one expires.
    return (await this.http.json<ConsoleSession>({ method: 'POST', path: '/auth/session', body: { api_key: apiKey }, resendable: true, withoutKey: true }))
      .body;
  }

  /** The signed-in session (AuthenticationError when there is none, or it ended). */
  async session(): Promise<ConsoleSession> {
    return (await this.http.json<ConsoleSession>({ method: 'GET', path: '/auth/session', resendable: true })).body;
  }

  /** Signs out: the server deletes the session and clears its cookie (also when it had ended). */
  async signOut(): Promise<void> {
    await this.http.json<undefined>({ method: 'DELETE', path: '/auth/session', resendable: true, withoutKey: true });
  }
}
