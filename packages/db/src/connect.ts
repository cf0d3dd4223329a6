import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import type { Database } from './schema';

export interface ConnectOptions {
  max?: number;
  /** Milliseconds to wait for a connection before failing (so callers can answer 503). */
  connectionTimeoutMillis?: number;
  applicationName?: string;
  /**
   * Milliseconds after which a query that got no answer fails ("Query read timeout"). A
   * connection that dies mid-query can otherwise leave its promise pending for ever, and a
   * worker's state write with it.
   */
  queryTimeoutMillis?: number;
  /**
   * What stands between this process and Postgres. 'transaction': a pooler in transaction mode
   * (PgBouncer's pool_mode=transaction), which hands each transaction to whichever server
   * connection is free, so nothing may outlive a transaction: runPrepared then sends unnamed
   * statements. 'none' (the default): a direct connection, or a pooler in session mode.
   */
  pooler?: DatabasePooler;
}

export type DatabasePooler = 'none' | 'transaction';

/** A Kysely instance over a pg pool. Close it with `db.destroy()`. */
export function createDb(url: string, options: ConnectOptions = {}): Kysely<Database> {
  const pool = new Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 3000,
    application_name: options.applicationName,
    query_timeout: options.queryTimeoutMillis ?? 30_000,
  });
  // An idle client losing its server (restart, failover) emits 'error' on the pool; without a
  // listener that would crash the process. The next query gets a fresh connection.
  pool.on('error', () => undefined);
  // pg-pool listens only on idle clients. When Postgres ends a connection that is checked out
  // but between queries (in a transaction, or in the instant after a query answered and before
  // it was released), the client emits 'error' with no listener, which kills the process. This
  // listener keeps the process alive; the client is then not queryable, so the pool drops it
  // on release and the caller's next query (or its retry) gets a fresh connection.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, { pool, namedStatements: (options.pooler ?? 'none') === 'none' });
  return db;
}

const pools = new WeakMap<Kysely<Database>, { pool: Pool; namedStatements: boolean }>();

/**
 * Runs a named prepared statement: each connection parses and plans it once, later runs only
 * bind and execute. For the hot, fixed statements of the task lifecycle, where planning cost
 * as much as running. On a Kysely that createDb did not make (a transaction), it runs as an
 * ordinary query. The text must never change under the same name.
 *
 * Behind a pooler in transaction mode (createDb's `pooler: 'transaction'`) it runs unnamed:
 * pg prepares a name once per client connection and later sends only its name, but the
 * pooler hands each statement to any server connection, where that name is unknown
 * ("prepared statement … does not exist") or was prepared by another client ("… already
 * exists"). PgBouncer tracks names itself only from 1.21 (max_prepared_statements).
 */
export async function runPrepared<R>(db: Kysely<Database>, name: string, text: string, values: unknown[]): Promise<R[]> {
  const entry = pools.get(db);
  if (entry?.namedStatements) return (await entry.pool.query({ name, text, values })).rows as R[];
  return (await db.executeQuery<R>(CompiledQuery.raw(text, values))).rows;
}
