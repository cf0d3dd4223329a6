import { POST_STATUSES } from '@conveyor/contracts';
import type { PostStatus } from '../schema';

// The publish state machine, in one place: the API, the worker, the README table and the
// tests all read this table. Every move is one compare-and-set UPDATE (transitionPost).

/** Every state a post can be in (the list lives in @conveyor/contracts, which the API's query schemas read too). */
export { POST_STATUSES };

/** From each state, the states a post may move to; anything else is refused. */
export const POST_TRANSITIONS: Readonly<Record<PostStatus, readonly PostStatus[]>> = {
  draft: ['scheduled', 'queued', 'cancelled'],
  scheduled: ['draft', 'queued', 'cancelled'],
  queued: ['publishing', 'cancelled'],
  // queued again: a retry (a transient failure, or a worker lost mid-call).
  publishing: ['published', 'failed', 'queued'],
  published: [],
  // queued again: a retry asked for after a failure.
  failed: ['queued'],
  cancelled: [],
};

/** The states in which a post's content may be edited, and the post deleted. */
export const EDITABLE_POST_STATUSES = ['draft', 'scheduled'] as const satisfies readonly PostStatus[];

/** The states in which a publish may be under way: an account with such a post is not deleted. */
export const IN_FLIGHT_POST_STATUSES = ['queued', 'publishing'] as const satisfies readonly PostStatus[];

export function isAllowedTransition(from: PostStatus, to: PostStatus): boolean {
  return POST_TRANSITIONS[from].includes(to);
}

/** The states from which a post may move to `to`. */
export function statesLeadingTo(to: PostStatus): PostStatus[] {
  return POST_STATUSES.filter((from) => isAllowedTransition(from, to));
}

/** A transition the state machine does not allow, refused before any query. */
export class InvalidPostTransitionError extends Error {
  override name = 'InvalidPostTransitionError';
  /** The states in which a post may move to `to`. */
  readonly allowedFrom: PostStatus[];

  constructor(
    /** The requested source states that may not move to `to`. */
    readonly from: PostStatus[],
    readonly to: PostStatus,
  ) {
    const allowedFrom = statesLeadingTo(to);
    const each = from.map((f) => `${f} → ${POST_TRANSITIONS[f].join(', ') || 'nothing'}`).join('; ');
    super(
      `a post cannot move from ${from.join(' or ') || '(no state given)'} to ${to}: only ${allowedFrom.join(', ') || 'no state'} can move to ${to} (allowed from there: ${each})`,
    );
    this.allowedFrom = allowedFrom;
  }
}

/** Throws InvalidPostTransitionError unless every state of `from` may move to `to`. */
export function assertTransitions(from: readonly PostStatus[], to: PostStatus): void {
  const refused = from.filter((f) => !isAllowedTransition(f, to));
  if (refused.length || from.length === 0) throw new InvalidPostTransitionError(refused, to);
}
