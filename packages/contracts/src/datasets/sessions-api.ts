import { z } from 'zod';
import { columnViewSchema } from './columns';
import { programSchema } from './program';

export const sessionIdSchema = z.uuid({ error: 'a session id is a UUID' });
export const nodeIdSchema = z.uuid({ error: 'a node id is a UUID' });

/** Body of POST /api/v1/sessions */
export const createSessionBodySchema = z.object({ name: z.string().trim().min(1, 'name a session').max(200) }).strict();

/** A query of a cursor-paged listing: the cursor of the page before (next_cursor), and a page size. */
const pageQuerySchema = () =>
  z
    .object({
      cursor: z.string().max(400).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    })
    .strict();

/** Query of GET /api/v1/sessions: newest first, a page at a time. */
export const listSessionsQuerySchema = pageQuerySchema();

/** Query of GET /api/v1/sessions/{id}/nodes: oldest first, a page at a time. */
export const listNodesQuerySchema = pageQuerySchema();

/** Query of GET /api/v1/sessions/{id}/messages: the chat, oldest first, a page at a time. */
export const listMessagesQuerySchema = pageQuerySchema();

/** The upload formats of POST /api/v1/sessions/{id}/datasets, by Content-Type. */
export const DATASET_CONTENT_TYPES = { 'text/csv': 'csv', 'application/x-ndjson': 'jsonl', 'application/jsonl': 'jsonl' } as const;
export type DatasetFormat = (typeof DATASET_CONTENT_TYPES)[keyof typeof DATASET_CONTENT_TYPES];

/** Query of POST /api/v1/sessions/{id}/datasets: the file's name, shown with the root node. */
export const uploadDatasetQuerySchema = z.object({ filename: z.string().trim().min(1).max(200).optional() }).strict();

/** Query of GET /api/v1/sessions/{id}/nodes/{node_id}/rows */
export const nodeRowsQuerySchema = z
  .object({
    offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** Body of POST /api/v1/sessions/{id}/head: moves the session to any of its nodes (undo, redo). */
export const moveHeadBodySchema = z.object({ node_id: nodeIdSchema }).strict();

/** Body of POST /api/v1/sessions/{id}/chat */
export const chatBodySchema = z.object({ message: z.string().trim().min(1, 'say something').max(4000) }).strict();

/** One version of a session's data. */
export const nodeViewSchema = z.object({
  node_id: z.uuid(),
  session_id: z.uuid(),
  /** The node it was made from; null for an uploaded dataset (a root). */
  parent_id: z.uuid().nullable(),
  row_count: z.number().int().min(0),
  columns: z.array(columnViewSchema),
  /** What made it, as a sentence: "Dropped 150 rows where email was null"; for a root, the upload. */
  transformation: z.string(),
  rows_affected: z.number().int().min(0),
  /** The program that made it; null for a root. */
  program: programSchema.nullable(),
  /** The task that made it; null for a root. */
  task_id: z.uuid().nullable(),
  is_head: z.boolean(),
  created_at: z.iso.datetime(),
});
export type NodeView = z.infer<typeof nodeViewSchema>;

export const sessionViewSchema = z.object({
  session_id: z.uuid(),
  name: z.string(),
  /** The version the session is looking at, which the next chat message changes; null before an upload. */
  head_node_id: z.uuid().nullable(),
  /** The chat message being processed now, if any: the session takes one at a time. */
  active_task_id: z.uuid().nullable(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type SessionView = z.infer<typeof sessionViewSchema>;

/** 202 of POST /api/v1/sessions/{id}/chat */
export const chatAcceptedSchema = z.object({ task_id: z.uuid(), status: z.literal('PENDING'), message: z.string() });

/** A page of a node's rows: each row an object keyed by column name, in column order. */
export const nodeRowsViewSchema = z.object({
  node_id: z.uuid(),
  offset: z.number().int(),
  limit: z.number().int(),
  total_rows: z.number().int(),
  columns: z.array(columnViewSchema),
  rows: z.array(z.record(z.string(), z.unknown())),
});

/** One message of a session's chat, oldest first. */
export const chatMessageViewSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  task_id: z.uuid().nullable(),
  created_at: z.iso.datetime(),
});
