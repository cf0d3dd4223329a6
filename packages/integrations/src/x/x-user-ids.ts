import { createHash } from 'node:crypto';

/**
 * Which X user a token belongs to, remembered in this process so that each timeline read costs
 * one call, not two (GET /2/users/me has a small daily limit on the lower tiers). Keyed by a
 * hash of the token, so the token itself is not kept here; bounded, oldest first out.
 */
export class XUserIds {
  private readonly ids = new Map<string, string>();

  constructor(private readonly maxEntries = 1000) {}

  get(token: string): string | undefined {
    return this.ids.get(keyOf(token));
  }

  set(token: string, userId: string): void {
    const key = keyOf(token);
    this.ids.delete(key);
    this.ids.set(key, userId);
    if (this.ids.size > this.maxEntries) this.ids.delete(this.ids.keys().next().value as string);
  }
}

const keyOf = (token: string) => createHash('sha256').update(token).digest('base64url');
