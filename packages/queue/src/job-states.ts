import { groupBy } from './group-by';
import { envelopeIndexKey, jobKey, queueKey } from './queue-keys';
import type { RedisClient } from './redis';

/** Where a task's job stands in Redis: its own job's, or else the envelope's that carries it. */
export interface JobState {
  exists: boolean;
  locked: boolean;
  /** In BullMQ's failed set: the runtime gave up on it (e.g. Postgres was down too long). */
  failed: boolean;
  /** In BullMQ's active list: a worker took it (its lock says whether that worker lives). */
  active: boolean;
  /** The envelope's job id, when the state is an envelope's (the task has no job of its own). */
  envelope?: string;
}

type Ref = { id: string; queue: string };

/**
 * The state of each task's job. A task with no job of its own may sit in an envelope: the
 * queue's envelope index names it, and the envelope's state stands for the task's. Two
 * pipelines per queue at most, sent together: a queue's keys share one hash slot, and a Redis
 * Cluster client refuses a pipeline whose keys live on different nodes.
 */
export async function jobStates(redis: RedisClient, prefix: string, tasks: Ref[]): Promise<JobState[]> {
  const states = new Map<Ref, JobState>();
  await Promise.all(
    [...groupBy(tasks, (t) => t.queue)].map(async ([queue, batch]) => {
      const index = envelopeIndexKey(prefix, queue);
      const own = await readStates(
        redis,
        prefix,
        queue,
        batch.map((t) => t.id),
        (pipeline, id) => pipeline.hget(index, id),
      );
      const envelopeOf = new Map<Ref, string>();
      for (const [i, t] of batch.entries()) {
        const envelope = own[i]!.extra;
        if (!own[i]!.state.exists && typeof envelope === 'string') envelopeOf.set(t, envelope);
      }
      const envelopeIds = [...new Set(envelopeOf.values())];
      const envelopes = await readStates(redis, prefix, queue, envelopeIds);
      const byEnvelope = new Map(envelopeIds.map((id, i) => [id, envelopes[i]!.state]));
      for (const [i, t] of batch.entries()) {
        const envelope = envelopeOf.get(t);
        const state = envelope ? byEnvelope.get(envelope)! : own[i]!.state;
        states.set(t, envelope && state.exists ? { ...state, envelope } : state);
      }
    }),
  );
  return tasks.map((t) => states.get(t)!);
}

type Pipeline = ReturnType<RedisClient['pipeline']>;

/** Exists, lock, failed set and active list of each job id, plus an extra reply per id. */
async function readStates(
  redis: RedisClient,
  prefix: string,
  queue: string,
  ids: string[],
  extra?: (pipeline: Pipeline, id: string) => void,
): Promise<{ state: JobState; extra?: unknown }[]> {
  if (ids.length === 0) return [];
  const per = extra ? 5 : 4;
  const pipeline = redis.pipeline();
  for (const id of ids) {
    const key = jobKey(prefix, queue, id);
    pipeline.exists(key);
    pipeline.exists(`${key}:lock`);
    pipeline.zscore(queueKey(prefix, queue, 'failed'), id);
    pipeline.lpos(queueKey(prefix, queue, 'active'), id);
    extra?.(pipeline, id);
  }
  const replies = (await pipeline.exec()) ?? [];
  for (const [error] of replies) if (error) throw error;
  return ids.map((_, i) => ({
    state: {
      exists: replies[per * i]![1] === 1,
      locked: replies[per * i + 1]![1] === 1,
      failed: replies[per * i + 2]![1] !== null,
      active: replies[per * i + 3]![1] !== null,
    },
    extra: extra ? replies[per * i + 4]![1] : undefined,
  }));
}
