import type { PostStatus } from '@conveyor/db';
import { HttpError } from './http-error';

/**
 * The 409 for a post whose state does not allow what was asked: it names the state, what the
 * action needs, and, for the states that explain themselves, what to do instead.
 */
export function postConflict(
  current: PostStatus,
  action: 'edited' | 'deleted' | 'published' | 'cancelled' | 'scheduled',
  allowed: readonly PostStatus[],
  hint?: string,
): HttpError {
  const states = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : allowed[0];
  return new HttpError(409, 'post_state_conflict', `post is ${current}; only ${states} posts can be ${action}${hint ? ` (${hint})` : ''}`);
}
