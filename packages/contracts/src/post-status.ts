import { z } from 'zod';

/**
 * The states of a post on its way to X, on the wire and in Postgres (the moves between them
 * are @conveyor/db's POST_TRANSITIONS). Here, beside the task states, so the API's query
 * schemas and the data layer read one list.
 */
export const POST_STATUSES = ['draft', 'scheduled', 'queued', 'publishing', 'published', 'failed', 'cancelled'] as const;
export type PostStatus = (typeof POST_STATUSES)[number];
/** One schema for every post status on the wire, so the OpenAPI document names it once (PostStatus). */
export const postStatusSchema = z.enum(POST_STATUSES, { error: `a post status is one of ${POST_STATUSES.join(', ')}` });
