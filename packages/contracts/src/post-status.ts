/**
 * The states of a post on its way to X, on the wire and in Postgres (the moves between them
 * are @conveyor/db's POST_TRANSITIONS). Here, beside the task states, so the API's query
 * schemas and the data layer read one list.
 */
export const POST_STATUSES = ['draft', 'scheduled', 'queued', 'publishing', 'published', 'failed', 'cancelled'] as const;
export type PostStatus = (typeof POST_STATUSES)[number];
