import { sql } from 'kysely';
import { createDb } from '../src';

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('createDb', () => {
  // Postgres ends every connection when it shuts down or restarts. pg-pool listens for errors
  // only on idle clients; a client that is checked out but between queries (inside a
  // transaction, or in the instant after a query answered and before Kysely released it)
  // emitted an unhandled 'error' and killed the whole process. Seen as a worker that vanished
  // during the Postgres-outage fault test, leaving its tasks in PROGRESS.
  it('survives the server ending a connection that is checked out between queries, and replaces it', async () => {
    const db = createDb(url, { max: 1, applicationName: 'connect-test' });
    const killer = createDb(url, { max: 1 });
    try {
      await db.connection().execute(async (conn) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
        await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(killer);
        // Give the FATAL message time to arrive while no query is running on this client.
        await new Promise((resolve) => setTimeout(resolve, 300));
      });
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
      await killer.destroy();
    }
  });
});
