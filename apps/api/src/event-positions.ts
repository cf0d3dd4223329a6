import { createHash } from 'node:crypto';
import type { TaskEvent, TaskStatus } from '@conveyor/contracts';

/** What every live event carries: the same fields whether pub/sub or a re-read of Postgres told us. */
export type EventData = Omit<TaskEvent, 'task_id'>;

/** Where a state falls within one attempt: an event that ranks below the last one sent is stale. */
const RANK: Record<TaskStatus, number> = { PENDING: 0, STARTED: 1, PROGRESS: 2, RETRY: 3, SUCCESS: 4, FAILURE: 4, REVOKED: 4 };

/**
 * A state's place in the task's life: its attempt, its phase within the attempt, its progress,
 * and a digest of its message (two messages at the same progress are two states). It is the
 * event's SSE id, the same on every connection, so a client that reconnects with
 * Last-Event-ID is sent only what comes after what it saw.
 */
export interface EventPosition {
  attempts: number;
  rank: number;
  progress: number;
  digest: string;
}

export function positionOf(event: EventData): EventPosition {
  return {
    attempts: event.attempts,
    rank: RANK[event.status],
    progress: event.progress,
    digest: createHash('sha256')
      .update(event.message ?? '')
      .digest('hex')
      .slice(0, 8),
  };
}

/**
 * An event's id: the state's position, and on a stream that carries log lines, the seq of the
 * last line sent (`.<seq>`, 0 before any), so a reconnect names both.
 */
export const eventIdOf = (p: EventPosition | undefined, logSeq?: number) =>
  `${p ? `${p.attempts}.${p.rank}.${p.progress}.${p.digest}` : '0.0.0.00000000'}${logSeq === undefined ? '' : `.${logSeq}`}`;

const EVENT_ID = /^(\d{1,9})\.([0-4])\.(\d{1,3})\.([0-9a-f]{8})(?:\.(\d{1,15}))?$/;

/**
 * The state position and last log line a Last-Event-ID names, or nothing for anything this API
 * did not write (then the stream starts afresh). The id that stands for "no state yet" names no position.
 */
export function parseEventId(text: string | undefined): { position?: EventPosition; logSeq?: number } {
  const match = text === undefined ? null : EVENT_ID.exec(text.trim());
  if (!match) return {};
  const logSeq = match[5] === undefined ? undefined : Number(match[5]);
  if (match[4] === '00000000' && match[1] === '0' && match[3] === '0') return { logSeq };
  return { position: { attempts: Number(match[1]), rank: Number(match[2]), progress: Number(match[3]), digest: match[4]! }, logSeq };
}

export const samePosition = (a: EventPosition | undefined, b: EventPosition) =>
  a !== undefined && a.attempts === b.attempts && a.rank === b.rank && a.progress === b.progress && a.digest === b.digest;

/** Before `last`: an earlier attempt, or an earlier phase of the same one. */
export const isBefore = (p: EventPosition, last: EventPosition | undefined) =>
  last !== undefined && (p.attempts < last.attempts || (p.attempts === last.attempts && p.rank < last.rank));
