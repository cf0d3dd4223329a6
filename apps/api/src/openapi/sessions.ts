import {
  DATASET_CONTENT_TYPES,
  chatAcceptedSchema,
  chatBodySchema,
  chatMessageViewSchema,
  createSessionBodySchema,
  listMessagesQuerySchema,
  listNodesQuerySchema,
  listSessionsQuerySchema,
  moveHeadBodySchema,
  nodeIdSchema,
  nodeRowsQuerySchema,
  nodeRowsViewSchema,
  nodeViewSchema,
  sessionIdSchema,
  sessionViewSchema,
  uploadDatasetQuerySchema,
} from '@conveyor/contracts';
import { z } from 'zod';
import { type ApiRoute, body, error, json, retryLater, tag } from './parts';

const sessions = ['sessions'];
const params = z.object({ id: sessionIdSchema });
const nodeParams = z.object({ id: sessionIdSchema, node_id: nodeIdSchema });
const notFound = error('No such session for this tenant');
const nodeNotFound = error('No such session for this tenant, or no such node in it');
const badId = error('A malformed id');

/** Dataset sessions (issue 18): a session, its uploads and versions (nodes), their rows, its head and its chat. */
export function sessionRoutes(): ApiRoute[] {
  const session = sessionViewSchema.meta({ id: 'Session' });
  const node = nodeViewSchema.meta({ id: 'DatasetNode' });
  const file = z.string().meta({ description: 'The file itself, streamed', format: 'binary' });
  return [
    tag(sessions, {
      method: 'post',
      path: '/api/v1/sessions',
      operationId: 'createSession',
      summary: 'Start a session: upload a dataset to it, then change the data by chatting',
      request: { body: body(createSessionBodySchema) },
      responses: { 201: json(session, 'The session, without data yet'), 400: error('Invalid name') },
    }),
    tag(sessions, {
      method: 'get',
      path: '/api/v1/sessions',
      operationId: 'listSessions',
      summary: "The tenant's sessions, newest first, cursor-paged",
      request: { query: listSessionsQuerySchema },
      responses: {
        200: json(z.object({ sessions: z.array(session), next_cursor: z.string().nullable() }), 'A page of sessions'),
        400: error('Invalid query or cursor'),
      },
    }),
    tag(sessions, {
      method: 'get',
      path: '/api/v1/sessions/{id}',
      operationId: 'getSession',
      summary: 'A session: its head (the version the next message changes) and the message being processed',
      request: { params },
      responses: { 200: json(session, 'The session'), 400: badId, 404: notFound },
    }),
    tag(sessions, {
      method: 'delete',
      path: '/api/v1/sessions/{id}',
      operationId: 'deleteSession',
      summary: 'Delete a session with its chat and every version of its data',
      request: { params },
      responses: { 204: { description: 'Deleted' }, 400: badId, 404: notFound },
    }),
    tag(sessions, {
      method: 'post',
      path: '/api/v1/sessions/{id}/datasets',
      operationId: 'uploadDataset',
      summary: 'Upload a dataset (CSV or JSON Lines) as a new version of the session; its head moves to it',
      description:
        "The body is the file, streamed, its format named by Content-Type. CSV: a header row naming the columns, then rows. JSON Lines: one object per line. Column types are inferred over the whole file. The plan's size limit (DATASET_UPLOAD_LIMITS) is checked against Content-Length at once and against the bytes as they come; past it, or when the file is not a dataset, nothing is stored.",
      request: {
        params,
        query: uploadDatasetQuerySchema,
        body: { required: true, content: Object.fromEntries(Object.keys(DATASET_CONTENT_TYPES).map((type) => [type, { schema: file }])) },
      },
      responses: {
        201: json(node, 'The new version (a root node), with its columns, their types and missing values'),
        400: error('Another Content-Type (the message says which to send), or a file that is not a dataset: the message names the line'),
        404: notFound,
        413: error("Larger than the plan's upload limit"),
        429: retryLater('Too many uploads in progress for this tenant or this API process; see Retry-After'),
      },
    }),
    tag(sessions, {
      method: 'get',
      path: '/api/v1/sessions/{id}/nodes',
      operationId: 'listSessionNodes',
      summary: "The session's versions of its data, oldest first, cursor-paged",
      request: { params, query: listNodesQuerySchema },
      responses: {
        200: json(z.object({ nodes: z.array(node), next_cursor: z.string().nullable() }), 'A page of nodes'),
        400: error('A malformed id, invalid query or cursor'),
        404: notFound,
      },
    }),
    tag(sessions, {
      method: 'get',
      path: '/api/v1/sessions/{id}/nodes/{node_id}',
      operationId: 'getSessionNode',
      summary: 'A version of the data: its columns, counts and what made it',
      request: { params: nodeParams },
      responses: { 200: json(node, 'The node'), 400: badId, 404: nodeNotFound },
    }),
    tag(sessions, {
      method: 'get',
      path: '/api/v1/sessions/{id}/nodes/{node_id}/rows',
      operationId: 'getSessionNodeRows',
      summary: "A page of a version's rows, each an object keyed by column name",
      request: { params: nodeParams, query: nodeRowsQuerySchema },
      responses: { 200: json(nodeRowsViewSchema, 'The rows (none past the end)'), 400: error('A malformed id or invalid query'), 404: nodeNotFound },
    }),
    tag(sessions, {
      method: 'post',
      path: '/api/v1/sessions/{id}/head',
      operationId: 'moveSessionHead',
      summary: 'Move the session to another of its versions (undo, redo)',
      request: { params, body: body(moveHeadBodySchema) },
      responses: { 200: json(session, 'The session'), 400: error('A malformed id or body'), 404: nodeNotFound },
    }),
    tag(sessions, {
      method: 'post',
      path: '/api/v1/sessions/{id}/chat',
      operationId: 'sendChatMessage',
      summary: "Ask for a change to the session's data; a process_chat_message task answers it",
      description: 'One message at a time: the task id is in the answer and in Location; GET /api/v1/tasks/{id} follows it.',
      request: { params, body: body(chatBodySchema) },
      responses: {
        202: json(chatAcceptedSchema, 'Queued'),
        400: error('A malformed id or an empty message'),
        404: notFound,
        409: error('The session has no dataset yet, or is still processing a message (the message names its task)'),
        429: retryLater(
          "Past the rate limit, or (action_limit_reached) the plan's per-action limit of process_chat_message is used up this period: the message names the limit and when the period ends; see Retry-After",
        ),
      },
    }),
    tag(sessions, {
      method: 'get',
      path: '/api/v1/sessions/{id}/messages',
      operationId: 'listChatMessages',
      summary: "The session's chat, oldest first, cursor-paged",
      request: { params, query: listMessagesQuerySchema },
      responses: {
        200: json(z.object({ messages: z.array(chatMessageViewSchema), next_cursor: z.string().nullable() }), 'A page of messages'),
        400: error('A malformed id, invalid query or cursor'),
        404: notFound,
      },
    }),
  ];
}
